import { describe, expect, it } from "vitest";
import { ConfigError } from "@mlq/core";
import { createAuthenticator, createLoginLimiter, hashPassword, parsePasswordHash, safeEqual, verifyPassword } from "./auth.js";

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

describe("safeEqual", () => {
  it.each([
    ["a", "a", true],
    ["a", "b", false],
    ["short", "a much longer string", false],
    ["", "", true],
  ])("%j vs %j -> %s", (a, b, eq) => expect(safeEqual(a, b)).toBe(eq));
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

describe("createLoginLimiter through the middleware", () => {
  const TOKEN = "admin-token-0123456789";
  function call(auth: ReturnType<typeof createAuthenticator>, authorization: string | undefined, ip = "10.0.0.7") {
    return new Promise<{ status: number; retryAfter?: string; next: boolean }>((resolve) => {
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
});
