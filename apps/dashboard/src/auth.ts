// Authentication for every dashboard route but /healthz: HTTP basic (user + scrypt hash)
// or a bearer token (admin or read-only viewer). All comparisons are constant-time.
import { createHash, createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { ConfigError } from "@mlq/core";

export type Role = "admin" | "viewer";

export interface AuthSettings {
  user?: string | undefined;
  passwordHash?: string | undefined;
  token?: string | undefined;
  readonlyToken?: string | undefined;
}

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 16_384, r: 8, p: 1 };
const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

const scryptOptions = ({ N, r, p }: ScryptParams): ScryptOptions => ({ N, r, p, maxmem: 256 * N * r + 1024 * 1024 });

/** `scrypt$N$r$p$salt$hash` with base64url salt and hash, for MLQ_DASHBOARD_PASSWORD_HASH. */
export async function hashPassword(plain: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  if (plain.length === 0) throw new ConfigError("refusing to hash an empty password");
  const salt = randomBytes(16);
  const key = await scrypt(plain, salt, KEY_LENGTH, scryptOptions(params));
  return ["scrypt", params.N, params.r, params.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

export interface ParsedHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

/** Parses a stored hash; a malformed one is a ConfigError naming the setting. */
export function parsePasswordHash(stored: string): ParsedHash {
  const parts = stored.split("$");
  const bad = (why: string) => new ConfigError(`MLQ_DASHBOARD_PASSWORD_HASH is not a scrypt$N$r$p$salt$hash string: ${why}`);
  if (parts.length !== 6 || parts[0] !== "scrypt") throw bad(`expected 6 '$'-separated fields starting with 'scrypt', got ${parts.length}`);
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((v) => Number.isInteger(v) && v > 0)) throw bad("N, r and p must be positive integers");
  if (N < 2 || (N & (N - 1)) !== 0) throw bad("N must be a power of two");
  if (N * r > 2 ** 24) throw bad("N·r is too large");
  const salt = Buffer.from(parts[4]!, "base64url");
  const hash = Buffer.from(parts[5]!, "base64url");
  if (salt.length < 8 || hash.length < 16) throw bad("salt or hash too short");
  return { N, r, p, salt, hash };
}

export async function verifyPassword(plain: string, stored: string | ParsedHash): Promise<boolean> {
  const parsed = typeof stored === "string" ? parsePasswordHash(stored) : stored;
  const key = await scrypt(plain, parsed.salt, parsed.hash.length, scryptOptions(parsed));
  return timingSafeEqual(key, parsed.hash);
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Constant-time string equality on equal-length SHA-256 digests. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export interface Authenticator {
  /** True when credentials are configured (false only in insecure-local mode). */
  readonly enabled: boolean;
  /** The caller's role for an Authorization header, or null when it does not authenticate. */
  authenticate(authorization: string | undefined): Promise<Role | null>;
  middleware(req: Request, res: Response, next: NextFunction): void;
}

export const REALM = 'Basic realm="mlq dashboard", charset="UTF-8"';

/** Validates the settings once; without credentials only `insecureLocal` lets it start. */
/**
 * Failed logins per client address in a sliding window. Past the limit the address gets 429
 * without a password check (which also keeps scrypt from being used to burn CPU) until the
 * oldest failure leaves the window.
 */
export function createLoginLimiter(options: { maxFailures?: number; windowMs?: number; now?: () => number } = {}) {
  const maxFailures = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const failures = new Map<string, number[]>();
  const recent = (client: string): number[] => {
    const t = now();
    const kept = (failures.get(client) ?? []).filter((at) => t - at < windowMs);
    if (kept.length) failures.set(client, kept);
    else failures.delete(client);
    return kept;
  };
  return {
    /** Seconds until `client` may try again, or 0 when it may try now. */
    blockedFor(client: string): number {
      const kept = recent(client);
      return kept.length >= maxFailures ? Math.ceil((kept[0]! + windowMs - now()) / 1000) : 0;
    },
    fail(client: string): void {
      if (failures.size > 10_000) failures.clear(); // bound memory under a spray of addresses
      failures.set(client, [...recent(client), now()]);
    },
  };
}

export type LoginLimiter = ReturnType<typeof createLoginLimiter>;

export function createAuthenticator(
  settings: AuthSettings,
  options: { insecureLocal?: boolean; limiter?: LoginLimiter } = {},
): Authenticator {
  const limiter = options.limiter ?? createLoginLimiter();
  const { user, passwordHash, token, readonlyToken } = settings;
  if ((user && !passwordHash) || (!user && passwordHash))
    throw new ConfigError("MLQ_DASHBOARD_USER and MLQ_DASHBOARD_PASSWORD_HASH must be set together");
  const parsedHash = passwordHash ? parsePasswordHash(passwordHash) : undefined;
  if (token && readonlyToken && safeEqual(token, readonlyToken))
    throw new ConfigError("MLQ_DASHBOARD_TOKEN and MLQ_DASHBOARD_READONLY_TOKEN must differ");
  const enabled = Boolean(parsedHash || token || readonlyToken);
  if (!enabled && !options.insecureLocal)
    throw new ConfigError(
      "dashboard has no credentials: set MLQ_DASHBOARD_USER + MLQ_DASHBOARD_PASSWORD_HASH (see hashPassword) or MLQ_DASHBOARD_TOKEN, or start with --insecure-local",
    );

  // scrypt costs ~50 ms and Bull Board polls several API routes a second, so successful
  // basic logins are remembered briefly under a keyed hash of the header (never the password).
  const cacheKey = randomBytes(32);
  const verified = new Map<string, number>();
  const CACHE_MS = 5 * 60_000;

  async function checkBasic(encoded: string): Promise<boolean> {
    if (!parsedHash || !user) return false;
    const id = createHmac("sha256", cacheKey).update(encoded).digest("base64url");
    const until = verified.get(id);
    if (until !== undefined && until > Date.now()) return true;
    const decoded = Buffer.from(encoded, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return false;
    const userOk = safeEqual(decoded.slice(0, colon), user);
    // Always run scrypt so a wrong user name takes as long as a wrong password.
    const passOk = await verifyPassword(decoded.slice(colon + 1), parsedHash);
    if (!(userOk && passOk)) return false;
    if (verified.size >= 256) verified.clear();
    verified.set(id, Date.now() + CACHE_MS);
    return true;
  }

  async function authenticate(authorization: string | undefined): Promise<Role | null> {
    if (!enabled) return "admin";
    if (!authorization) return null;
    const space = authorization.indexOf(" ");
    if (space < 0) return null;
    const scheme = authorization.slice(0, space).toLowerCase();
    const value = authorization.slice(space + 1).trim();
    if (scheme === "bearer") {
      // Evaluate both comparisons so timing does not reveal which token matched.
      const isAdmin = token ? safeEqual(value, token) : false;
      const isViewer = readonlyToken ? safeEqual(value, readonlyToken) : false;
      return isAdmin ? "admin" : isViewer ? "viewer" : null;
    }
    if (scheme === "basic") return (await checkBasic(value)) ? "admin" : null;
    return null;
  }

  return {
    enabled,
    authenticate,
    middleware(req, res, next) {
      const client = req.ip ?? req.socket.remoteAddress ?? "unknown";
      const wait = enabled ? limiter.blockedFor(client) : 0;
      if (wait > 0) {
        res.status(429).set("Retry-After", String(wait)).type("text/plain").send(`too many failed logins; try again in ${wait} s\n`);
        return;
      }
      authenticate(req.headers.authorization).then(
        (role) => {
          // A request without credentials is a browser's first try, not a failed login.
          if (!role && req.headers.authorization) limiter.fail(client);
          if (!role) {
            res.status(401).set("WWW-Authenticate", REALM).type("text/plain").send("authentication required\n");
            return;
          }
          res.locals.role = role;
          next();
        },
        (err: unknown) => next(err),
      );
    },
  };
}

export function roleOf(res: Response): Role {
  return res.locals.role === "admin" ? "admin" : "viewer";
}
