// Authentication for every dashboard route but /healthz: HTTP basic (user + scrypt hash)
// or a bearer token (admin or read-only viewer). All comparisons are constant-time.
import { createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { ConfigError, safeEqual } from "@mlq/core";

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

/**
 * N = 2^17 (128 MiB, a few hundred ms per check): the cost OWASP recommends for scrypt. Stored
 * hashes carry their own N/r/p, so hashes made with older defaults (N = 2^14) still verify.
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

// Node refuses scrypt above 32 MiB unless maxmem allows it; scrypt needs 128·N·r·p bytes.
const scryptOptions = ({ N, r, p }: ScryptParams): ScryptOptions => ({ N, r, p, maxmem: 128 * N * r * p + 2 * 1024 * 1024 });

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

export interface Authenticator {
  /** True when credentials are configured (false only in insecure-local mode). */
  readonly enabled: boolean;
  /** The caller's role for an Authorization header, or null when it does not authenticate. */
  authenticate(authorization: string | undefined): Promise<Role | null>;
  /** Role and principal (`user=<name>`, `token=admin|viewer`, `insecure-local`), or why not. */
  identify(authorization: string | undefined): Promise<AuthOutcome>;
  middleware(req: Request, res: Response, next: NextFunction): void;
}

export const REALM = 'Basic realm="mlq dashboard", charset="UTF-8"';

/**
 * Failed logins per client address in a sliding window. Past the limit the address gets 429
 * without a password check (which also keeps scrypt from being used to burn CPU) until the
 * oldest failure leaves the window. The table holds at most `maxClients` addresses: a new one
 * evicts the least recently failed address that is not blocked, never a blocked one, so a
 * spray of addresses cannot unblock an attacker (and while every tracked address is blocked, a
 * new address is not tracked; reaching that needs maxClients × maxFailures checks in one
 * window, which the password-check gate's 2 concurrent checks make slow).
 */
export function createLoginLimiter(options: { maxFailures?: number; windowMs?: number; maxClients?: number; now?: () => number } = {}) {
  const maxFailures = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 5 * 60_000;
  const maxClients = options.maxClients ?? 10_000;
  const now = options.now ?? Date.now;
  // Insertion order = order of the latest failure (re-inserted on each), oldest first.
  const failures = new Map<string, number[]>();
  const recent = (client: string): number[] => {
    const t = now();
    const kept = (failures.get(client) ?? []).filter((at) => t - at < windowMs);
    if (kept.length === 0) failures.delete(client);
    else if (kept.length !== failures.get(client)?.length) failures.set(client, kept);
    return kept;
  };
  const blockedFor = (client: string): number => {
    const kept = recent(client);
    return kept.length >= maxFailures ? Math.ceil((kept[0]! + windowMs - now()) / 1000) : 0;
  };
  /** Frees one slot; false when every tracked address is blocked. */
  const evictOne = (): boolean => {
    for (const client of [...failures.keys()]) {
      if (blockedFor(client) > 0) continue;
      failures.delete(client); // expired entries are already gone after blockedFor
      return true;
    }
    return false;
  };
  return {
    /** Seconds until `client` may try again, or 0 when it may try now. */
    blockedFor,
    fail(client: string): void {
      const kept = recent(client);
      if (kept.length === 0 && failures.size >= maxClients && !evictOne()) return;
      failures.delete(client);
      failures.set(client, [...kept, now()]);
    },
    /** Addresses currently tracked. */
    get size(): number {
      return failures.size;
    },
  };
}

export type LoginLimiter = ReturnType<typeof createLoginLimiter>;

/**
 * Bounds concurrent password checks: N = 2^17 scrypt takes 128 MiB, so at most
 * `maxConcurrent` run at once, `maxQueued` more wait, and beyond that the check is refused
 * (the middleware answers 503) instead of queueing memory without limit.
 */
export function createPasswordCheckGate(options: { maxConcurrent?: number; maxQueued?: number } = {}) {
  const maxConcurrent = options.maxConcurrent ?? 2;
  const maxQueued = options.maxQueued ?? 32;
  let active = 0;
  let peak = 0;
  const waiting: (() => void)[] = [];
  return {
    /** Runs `check` when a slot is free; resolves to null (without running it) when the queue is full. */
    async run<T>(check: () => Promise<T>): Promise<T | null> {
      if (active < maxConcurrent) active++;
      else if (waiting.length < maxQueued) await new Promise<void>((resolve) => waiting.push(resolve)); // the slot is handed over
      else return null;
      peak = Math.max(peak, active);
      try {
        return await check();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else active--;
      }
    },
    get active(): number {
      return active;
    },
    get queued(): number {
      return waiting.length;
    },
    /** Most checks ever running at once. */
    get peak(): number {
      return peak;
    },
  };
}

export type PasswordCheckGate = ReturnType<typeof createPasswordCheckGate>;

/** Shared by every authenticator in the process, so two dashboards cannot double the memory. */
const processPasswordGate = createPasswordCheckGate();

/** Who a request is: its role and the name the dashboard stamps on what it does. */
export type Identity = { role: Role; principal: string };
/** `busy`: the password could not be checked now (too many checks at once). */
export type AuthOutcome = { ok: true; identity: Identity } | { ok: false; busy: boolean };

/** Validates the settings once; without credentials only `insecureLocal` lets it start. */
export function createAuthenticator(
  settings: AuthSettings,
  options: { insecureLocal?: boolean; limiter?: LoginLimiter; passwordGate?: PasswordCheckGate } = {},
): Authenticator {
  const limiter = options.limiter ?? createLoginLimiter();
  const gate = options.passwordGate ?? processPasswordGate;
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

  /** True/false for a checked password, null when the gate refused to check it now. */
  async function checkBasic(encoded: string): Promise<boolean | null> {
    if (!parsedHash || !user) return false;
    const id = createHmac("sha256", cacheKey).update(encoded).digest("base64url");
    const until = verified.get(id);
    if (until !== undefined && until > Date.now()) return true;
    const decoded = Buffer.from(encoded, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return false;
    const userOk = safeEqual(decoded.slice(0, colon), user);
    // Always run scrypt so a wrong user name takes as long as a wrong password.
    const passOk = await gate.run(() => verifyPassword(decoded.slice(colon + 1), parsedHash));
    if (passOk === null) return null;
    if (!(userOk && passOk)) return false;
    if (verified.size >= 256) verified.clear();
    verified.set(id, Date.now() + CACHE_MS);
    return true;
  }

  const refused: AuthOutcome = { ok: false, busy: false };
  async function identify(authorization: string | undefined): Promise<AuthOutcome> {
    if (!enabled) return { ok: true, identity: { role: "admin", principal: "insecure-local" } };
    if (!authorization) return refused;
    const space = authorization.indexOf(" ");
    if (space < 0) return refused;
    const scheme = authorization.slice(0, space).toLowerCase();
    const value = authorization.slice(space + 1).trim();
    if (scheme === "bearer") {
      // Evaluate both comparisons so timing does not reveal which token matched.
      const isAdmin = token ? safeEqual(value, token) : false;
      const isViewer = readonlyToken ? safeEqual(value, readonlyToken) : false;
      if (isAdmin) return { ok: true, identity: { role: "admin", principal: "token=admin" } };
      if (isViewer) return { ok: true, identity: { role: "viewer", principal: "token=viewer" } };
      return refused;
    }
    if (scheme === "basic") {
      const ok = await checkBasic(value);
      if (ok === null) return { ok: false, busy: true };
      return ok ? { ok: true, identity: { role: "admin", principal: `user=${user!}` } } : refused;
    }
    return refused;
  }

  return {
    enabled,
    identify,
    async authenticate(authorization) {
      const outcome = await identify(authorization);
      return outcome.ok ? outcome.identity.role : null;
    },
    middleware(req, res, next) {
      const client = req.ip ?? req.socket.remoteAddress ?? "unknown";
      const wait = enabled ? limiter.blockedFor(client) : 0;
      if (wait > 0) {
        res.status(429).set("Retry-After", String(wait)).type("text/plain").send(`too many failed logins; try again in ${wait} s\n`);
        return;
      }
      identify(req.headers.authorization).then(
        (outcome) => {
          if (!outcome.ok && outcome.busy) {
            res.status(503).set("Retry-After", "1").type("text/plain").send("too many password checks at once; try again in 1 s\n");
            return;
          }
          if (!outcome.ok) {
            // A request without credentials is a browser's first try, not a failed login.
            if (req.headers.authorization) limiter.fail(client);
            res.status(401).set("WWW-Authenticate", REALM).type("text/plain").send("authentication required\n");
            return;
          }
          res.locals.role = outcome.identity.role;
          res.locals.principal = outcome.identity.principal;
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

/** The authenticated principal of a request (see Authenticator.identify). */
export function principalOf(res: Response): string {
  return typeof res.locals.principal === "string" ? res.locals.principal : "unknown";
}
