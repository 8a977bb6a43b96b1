import { describe, expect, it } from "vitest";
import { ConfigError } from "@mlq/core";
import { createAuthenticator, hashPassword, parsePasswordHash, safeEqual, verifyPassword } from "./auth.js";

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
