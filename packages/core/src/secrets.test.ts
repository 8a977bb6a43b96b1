import { describe, expect, it } from "vitest";
import { bearerMatches, safeEqual } from "./secrets.js";

describe("safeEqual", () => {
  it.each([
    ["a", "a", true],
    ["a", "b", false],
    ["token", "token ", false],
    ["short", "a much longer string", false],
    ["", "", true],
  ])("%j vs %j -> %s", (a, b, eq) => expect(safeEqual(a, b)).toBe(eq));
});

describe("bearerMatches", () => {
  const token = "0123456789abcdef";
  it.each([
    [`Bearer ${token}`, true],
    [`bearer ${token}`, true],
    [`Bearer  ${token} `, true],
    [`Bearer ${token}x`, false],
    [`Basic ${token}`, false],
    [token, false],
    ["", false],
    [undefined, false],
  ])("%j -> %s", (header, ok) => expect(bearerMatches(header, token)).toBe(ok));
});
