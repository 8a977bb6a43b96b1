import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "@mlq/core";
import { sizeMultiplier } from "./multiplier.js";

describe("sizeMultiplier", () => {
  const assumed = 0.06;
  it.each([
    ["on target", 0.06, 1],
    ["at the 0.8 edge", 0.048, 1],
    ["at the 1.2 edge", 0.072, 1],
    ["1.5× assumed → 1/1.5", 0.09, 1 / 1.5],
    ["1.25× assumed → 0.8", 0.075, 0.8],
    ["3× assumed → floor 0.5", 0.18, 0.5],
    ["0.5× assumed → ceiling 1.2", 0.03, 1.2],
    ["zero slippage (r = 0) → 1.2", 0, 1.2],
    ["fills better than the signal (r < 0) → 1.2", -0.01, 1.2],
    ["no measurement (NaN) → 1.0", Number.NaN, 1],
  ])("%s", (_label, actual, expected) => {
    expect(sizeMultiplier(actual, assumed)).toBeCloseTo(expected, 12);
  });

  it("rejects a non-positive assumed slippage with ConfigError", () => {
    expect(() => sizeMultiplier(0.05, 0)).toThrow(ConfigError);
  });

  it("stays in [0.5, 1.2] and never grows as slippage grows", () => {
    const x = fc.double({ min: -1, max: 1, noNaN: true });
    fc.assert(
      fc.property(x, x, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const mLo = sizeMultiplier(lo, assumed);
        const mHi = sizeMultiplier(hi, assumed);
        expect(mLo).toBeGreaterThanOrEqual(0.5);
        expect(mLo).toBeLessThanOrEqual(1.2);
        expect(mHi).toBeLessThanOrEqual(mLo);
      }),
    );
  });
});
