import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emaSlippage, type EmaPolicy } from "./ema.js";

const policy = (p: Partial<EmaPolicy>): EmaPolicy => ({ emaSpan: 9, recentTrades: 0, recentBoost: 1, alphaCap: 0.5, ...p });

describe("emaSlippage", () => {
  it.each<[string, number[], Partial<EmaPolicy>, number]>([
    ["seeds with the first value", [0.7], {}, 0.7],
    ["alpha 2/(span+1) = 0.5", [1, 2, 3], { emaSpan: 3 }, 2.25], // 1 → 1.5 → 2.25
    ["alpha 0.2", [1, 2, 3], {}, 1.56], // 1 → 1.2 → 1.56
    ["boosts the most recent trade", [1, 2, 3], { recentTrades: 1, recentBoost: 2 }, 1.92], // α .2 then .4: 1.2 → 1.92
    ["boosts the two most recent trades", [1, 2, 3], { recentTrades: 2, recentBoost: 2 }, 2.04], // 1.4 → 2.04
    ["caps a boosted alpha", [1, 2, 3], { recentTrades: 1, recentBoost: 3, alphaCap: 0.5 }, 2.1], // α .6 → .5: 1.2 → 2.1
    ["caps the plain alpha too", [0, 4], { emaSpan: 1, alphaCap: 0.25 }, 1], // α 1 → .25
    ["recentTrades beyond the length boosts every update", [1, 2, 3], { recentTrades: 50, recentBoost: 2 }, 2.04],
  ])("%s", (_label, values, p, expected) => {
    expect(emaSlippage(values, policy(p))).toBeCloseTo(expected, 12);
  });

  it("boosts from recentFrom when given (a bucket's recent trades may own two values each)", () => {
    // α .2 for 1 → 2 would give 1.2; recentFrom 1 boosts both updates to .4: 1.4 → 2.04
    expect(emaSlippage([1, 2, 3], policy({ recentTrades: 1, recentBoost: 2 }), 1)).toBeCloseTo(2.04, 12);
    expect(emaSlippage([1, 2, 3], policy({ recentTrades: 1, recentBoost: 2 }), 3)).toBeCloseTo(1.56, 12); // none boosted
  });

  it("is NaN for no values", () => {
    expect(emaSlippage([], policy({}))).toBeNaN();
  });

  it("stays within the range of its inputs and equals a constant input", () => {
    const values = fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 200 });
    const pol = fc.record({
      emaSpan: fc.integer({ min: 1, max: 300 }),
      recentTrades: fc.integer({ min: 0, max: 100 }),
      recentBoost: fc.double({ min: 1, max: 5, noNaN: true }),
      alphaCap: fc.double({ min: 0.01, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(values, pol, (xs, p) => {
        const ema = emaSlippage(xs, p);
        expect(ema).toBeGreaterThanOrEqual(Math.min(...xs) - 1e-9);
        expect(ema).toBeLessThanOrEqual(Math.max(...xs) + 1e-9);
        expect(emaSlippage(xs.map(() => xs[0]!), p)).toBeCloseTo(xs[0]!, 9);
      }),
    );
  });
});
