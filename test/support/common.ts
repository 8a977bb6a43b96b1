// Plumbing shared by the integration suites (test/e2e, test/reliability): where the built apps
// are, a unique Redis prefix per test, and bounded polling.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** `apps/<app>/dist/main.js`, or a clear error when the tree was not built. */
export function appEntry(app: string): string {
  const entry = join(REPO_ROOT, "apps", app, "dist", "main.js");
  if (!existsSync(entry)) throw new Error(`${entry} missing: build first (pnpm turbo run build)`);
  return entry;
}

export function uniquePrefix(): string {
  return `{mlqtest-${randomBytes(5).toString("hex")}}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns something other than undefined; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
