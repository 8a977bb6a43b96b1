// Comparing secrets (bearer tokens, user names) without leaking through timing: shared by the
// dashboard's and the prediction service's authentication.
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Constant-time string equality on equal-length SHA-256 digests. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * True when an `Authorization` header carries `Bearer <token>` (scheme case-insensitive) for
 * `token`, compared in constant time.
 */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  if (!authorization) return false;
  const space = authorization.indexOf(" ");
  if (space < 0 || authorization.slice(0, space).toLowerCase() !== "bearer") return false;
  return safeEqual(authorization.slice(space + 1).trim(), token);
}
