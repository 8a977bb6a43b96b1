import { describe, expect, it } from "vitest";
import { ConfigError } from "@mlq/core";
import { createAuthenticator, createLoginLimiter, createPasswordCheckGate, DEFAULT_SCRYPT, hashPassword, parsePasswordHash, verifyPassword } from "./auth.js";

const FAST = { N: 1024, r: 8, p: 1 };
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

describe("hashPassword / verifyPassword", () => {
  it("produces scrypt$N$r$p$salt$hash that verifies only the right password", async () => {
    const stored = await hashPassword("correct horse", FAST);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword("correct horse", stored)).toBe(true);
    expect(await verifyPassword("correct horsf", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("hashes with N = 2^17 by default (what hash-password prints)", async () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 131_072, r: 8, p: 1 });
    const stored = await hashPassword("correct horse");
    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword("correct horse", stored)).toBe(true);
  });

  it("still verifies a hash made with the old default N = 2^14 (the parameters travel in the hash)", async () => {
    // node -e 'crypto.scryptSync("correct horse", Buffer.from("mlq-legacy-salt!"), 32, { N: 16384, r: 8, p: 1 })'
    const legacy = "scrypt$16384$8$1$bWxxLWxlZ2FjeS1zYWx0IQ$jIxCruxi5kRZgpsgXLTeBWT8p6dBqsCJdCwnPUnrE8s";
    expect(await verifyPassword("correct horse", legacy)).toBe(true);
    expect(await verifyPassword("correct horsE", legacy)).toBe(false);
  });

  it("salts every hash", async () => {
    expect(await hashPassword("x", FAST)).not.toBe(await hashPassword("x", FAST));
  });

  it.each([
    ["bcrypt$10$abc", "expected 6"],
    ["scrypt$1000$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "power of two"],
    ["scrypt$1024$x$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "positive integers"],
    ["scrypt$1024$8$1$$aGFzaGhhc2hoYXNoaGFzaA", "too short"],
  ])("rejects the malformed hash %s with a ConfigError", (stored, why) => {
    expect(() => parsePasswordHash(stored)).toThrow(ConfigError);
    expect(() => parsePasswordHash(stored)).toThrow(why);
  });
});

describe("createAuthenticator", () => {
  it("refuses to start without credentials unless insecureLocal", () => {
    expect(() => createAuthenticator({})).toThrow(/no credentials.*--insecure-local/);
    const open = createAuthenticator({}, { insecureLocal: true });
    expect(open.enabled).toBe(false);
  });

  it("grants admin to everyone in insecure-local mode", async () => {
    expect(await createAuthenticator({}, { insecureLocal: true }).authenticate(undefined)).toBe("admin");
  });

  it("refuses a user without a password hash", () => {
    expect(() => createAuthenticator({ user: "ops" })).toThrow(ConfigError);
  });

  it("refuses identical admin and viewer tokens", () => {
    expect(() => createAuthenticator({ token: "t".repeat(20), readonlyToken: "t".repeat(20) })).toThrow(/must differ/);
  });

  it("names the principal: the basic user, the token's role, or insecure-local", async () => {
    const auth = createAuthenticator({ user: "ops", passwordHash: await hashPassword("pw", FAST), token: "admin-token-0123456789", readonlyToken: "viewer-token-0123456789" });
    expect(await auth.identify(basic("ops", "pw"))).toEqual({ ok: true, identity: { role: "admin", principal: "user=ops" } });
    expect(await auth.identify("Bearer admin-token-0123456789")).toEqual({ ok: true, identity: { role: "admin", principal: "token=admin" } });
    expect(await auth.identify("Bearer viewer-token-0123456789")).toEqual({ ok: true, identity: { role: "viewer", principal: "token=viewer" } });
    expect(await auth.identify(basic("ops", "no"))).toEqual({ ok: false, busy: false });
    expect(await createAuthenticator({}, { insecureLocal: true }).identify(undefined)).toEqual({ ok: true, identity: { role: "admin", principal: "insecure-local" } });
  });

  it("maps basic credentials and bearer tokens to roles", async () => {
    const auth = createAuthenticator({
      user: "ops",
      passwordHash: await hashPassword("pw", FAST),
      token: "admin-token-0123456789",
      readonlyToken: "viewer-token-0123456789",
    });
    expect(await auth.authenticate(basic("ops", "pw"))).toBe("admin");
    expect(await auth.authenticate(basic("ops", "pw"))).toBe("admin"); // cached path
    expect(await auth.authenticate(basic("ops", "wrong"))).toBeNull();
    expect(await auth.authenticate(basic("root", "pw"))).toBeNull();
    expect(await auth.authenticate("Basic bm9jb2xvbg==")).toBeNull(); // "nocolon"
    expect(await auth.authenticate("Bearer admin-token-0123456789")).toBe("admin");
    expect(await auth.authenticate("bearer viewer-token-0123456789")).toBe("viewer");
    expect(await auth.authenticate("Bearer viewer-token-012345678")).toBeNull();
    expect(await auth.authenticate("Digest abc")).toBeNull();
    expect(await auth.authenticate(undefined)).toBeNull();
  });
});

const TOKEN = "admin-token-0123456789";
function call(auth: ReturnType<typeof createAuthenticator>, authorization: string | undefined, ip = "10.0.0.7") {
  return new Promise<{ status: number; retryAfter?: string | undefined; next: boolean }>((resolve) => {
    const res = {
      locals: {} as Record<string, unknown>,
      statusCode: 200,
      headers: {} as Record<string, string>,
      status(code: number) {
        this.statusCode = code;
        return this;
      },
      set(k: string, v: string) {
        this.headers[k] = v;
        return this;
      },
      type() {
        return this;
      },
      send() {
        resolve({ status: this.statusCode, retryAfter: this.headers["Retry-After"], next: false });
        return this;
      },
    };
    const req = { ip, headers: authorization ? { authorization } : {}, socket: {} };
    auth.middleware(req as never, res as never, () => resolve({ status: 200, next: true }));
  });
}

describe("createLoginLimiter through the middleware", () => {
  it("answers 429 after 10 wrong tokens from one address, even to the right one, until the window passes", async () => {
    let t = 1_000_000;
    const limiter = createLoginLimiter({ maxFailures: 10, windowMs: 60_000, now: () => t });
    const auth = createAuthenticator({ token: TOKEN }, { limiter });
    for (let i = 0; i < 10; i++) expect((await call(auth, "Bearer wrong-token-000000000")).status).toBe(401);
    const blocked = await call(auth, `Bearer ${TOKEN}`);
    expect(blocked).toMatchObject({ status: 429, retryAfter: "60", next: false });
    expect((await call(auth, `Bearer ${TOKEN}`, "10.0.0.8")).next).toBe(true); // other addresses unaffected
    t += 60_000;
    expect((await call(auth, `Bearer ${TOKEN}`)).next).toBe(true);
  });

  it("does not count a browser's first request without credentials as a failure", async () => {
    const limiter = createLoginLimiter({ maxFailures: 2, windowMs: 60_000, now: () => 0 });
    const auth = createAuthenticator({ token: TOKEN }, { limiter });
    for (let i = 0; i < 5; i++) expect((await call(auth, undefined)).status).toBe(401);
    expect((await call(auth, `Bearer ${TOKEN}`)).next).toBe(true);
  });

  it("keeps a blocked address blocked while 10,000 other addresses fail (the table is bounded, not cleared)", async () => {
    const limiter = createLoginLimiter({ maxFailures: 10, windowMs: 60_000, now: () => 5_000 });
    const auth = createAuthenticator({ token: TOKEN }, { limiter });
    for (let i = 0; i < 10; i++) await call(auth, "Bearer wrong-token-000000000", "10.6.6.6");
    expect((await call(auth, `Bearer ${TOKEN}`, "10.6.6.6")).status).toBe(429);
    for (let i = 0; i < 10_001; i++) limiter.fail(`172.16.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBeLessThanOrEqual(10_000);
    expect((await call(auth, `Bearer ${TOKEN}`, "10.6.6.6")).status).toBe(429);
  });
});

describe("createLoginLimiter table bound", () => {
  it("evicts the least recently failed unblocked address first, never a blocked one", () => {
    let t = 0;
    const limiter = createLoginLimiter({ maxFailures: 2, windowMs: 1000, maxClients: 3, now: () => t });
    limiter.fail("blocked");
    limiter.fail("blocked");
    t = 1;
    limiter.fail("a");
    t = 2;
    limiter.fail("b");
    t = 3;
    limiter.fail("c"); // full: "a" (oldest unblocked) goes; "blocked" is older but stays
    expect(limiter.size).toBe(3);
    expect(limiter.blockedFor("blocked")).toBe(1);
    t = 4;
    limiter.fail("a"); // "a" starts again from one failure (not blocked); "b" makes room
    expect(limiter.blockedFor("a")).toBe(0);
    limiter.fail("c"); // "c" kept its first failure: now blocked
    expect(limiter.blockedFor("c")).toBe(1);
    expect(limiter.size).toBe(3);
  });

  it("does not track a new address while every tracked one is blocked, and frees expired ones", () => {
    let t = 0;
    const limiter = createLoginLimiter({ maxFailures: 1, windowMs: 1000, maxClients: 2, now: () => t });
    limiter.fail("x");
    limiter.fail("y");
    limiter.fail("z");
    expect([limiter.blockedFor("x") > 0, limiter.blockedFor("y") > 0, limiter.blockedFor("z")]).toEqual([true, true, 0]);
    t = 1000; // x and y leave the window
    limiter.fail("z");
    expect(limiter.blockedFor("z")).toBe(1);
    expect(limiter.size).toBe(2); // x made room; y is dropped when next looked at
    expect(limiter.blockedFor("y")).toBe(0);
    expect(limiter.size).toBe(1);
  });
});

describe("createPasswordCheckGate", () => {
  it("runs at most 2 checks at once, queues the next ones and refuses beyond the queue", async () => {
    const gate = createPasswordCheckGate({ maxConcurrent: 2, maxQueued: 3 });
    const release: (() => void)[] = [];
    let running = 0;
    let maxRunning = 0;
    const check = () =>
      new Promise<boolean>((resolve) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        release.push(() => {
          running--;
          resolve(true);
        });
      });
    const results = Array.from({ length: 8 }, () => gate.run(check));
    expect(await Promise.all(results.slice(5))).toEqual([null, null, null]);
    expect([gate.active, gate.queued, release.length]).toEqual([2, 3, 2]);
    while (release.length) {
      release.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(results.slice(0, 5))).toEqual([true, true, true, true, true]);
    expect(maxRunning).toBe(2);
    expect([gate.active, gate.queued, gate.peak]).toEqual([0, 0, 2]);
  });

  it("through the middleware: a spray of wrong passwords from many addresses runs 2 scrypt checks at a time; the overflow gets 503, not a failure", async () => {
    const gate = createPasswordCheckGate({ maxConcurrent: 2, maxQueued: 2 });
    const limiter = createLoginLimiter({ maxFailures: 1 });
    const auth = createAuthenticator({ user: "ops", passwordHash: await hashPassword("pw", FAST) }, { limiter, passwordGate: gate });
    const outcomes = await Promise.all(Array.from({ length: 7 }, (_, i) => call(auth, basic("ops", `guess-${i}`), `10.1.0.${i}`)));
    expect(outcomes.map((o) => o.status)).toEqual([401, 401, 401, 401, 503, 503, 503]);
    expect(outcomes[4]!.retryAfter).toBe("1");
    expect(gate.peak).toBe(2);
    // The refused addresses were not counted as failures (maxFailures 1 would block them).
    expect((await call(auth, basic("ops", "pw"), "10.1.0.6")).next).toBe(true);
    expect((await call(auth, basic("ops", "pw"), "10.1.0.0")).status).toBe(429);
  });
});
