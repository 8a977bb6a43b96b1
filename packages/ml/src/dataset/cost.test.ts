import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "@mlq/core";
import { roundTripCost, slippageMult, type CalibrationEvidence } from "./cost.js";

const BASE = 0.03;

describe("slippageMult", () => {
  it.each<[string, CalibrationEvidence | null, number, RegExp]>([
    ["no calibration", null, 2.0, /no calibration run yet/],
    ["199 trades", { tradesAnalyzed: 199, emaSlippagePerSidePct: 0.045 }, 2.0, /covers 199 trades \(< 200\)/],
    ["200 trades, ema 0.05", { tradesAnalyzed: 200, emaSlippagePerSidePct: 0.05 }, 0.05 / 0.03, /= 1\.667 over 200 trades/],
    ["worse than the backtest", { tradesAnalyzed: 500, emaSlippagePerSidePct: 0.09 }, 2.0, /= 3\.000/],
    ["better than the floor", { tradesAnalyzed: 500, emaSlippagePerSidePct: 0.01 }, 1.5, /clamped to \[1\.5, 2\]/],
    ["favourable fills", { tradesAnalyzed: 500, emaSlippagePerSidePct: -0.02 }, 1.5, /-0\.02%/],
    ["no EMA recorded", { tradesAnalyzed: 500, emaSlippagePerSidePct: null }, 2.0, /no EMA slippage/],
  ])("%s", (_name, latestCalibration, mult, reason) => {
    const r = slippageMult({ latestCalibration, basePerSidePct: BASE });
    expect(r.mult).toBeCloseTo(mult, 12);
    expect(r.reason).toMatch(reason);
  });

  it("honours configured bounds and trade threshold", () => {
    const cal = { tradesAnalyzed: 50, emaSlippagePerSidePct: 0.03 };
    expect(slippageMult({ latestCalibration: cal, basePerSidePct: BASE, min: 1, max: 3, minTrades: 50 }).mult).toBe(1);
    expect(slippageMult({ latestCalibration: cal, basePerSidePct: BASE, min: 1, max: 3, minTrades: 51 }).mult).toBe(3);
  });

  it("stays within [min, max] for any evidence", () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000 }), fc.double({ min: -1, max: 1, noNaN: true }), (trades, ema) => {
        const { mult } = slippageMult({ latestCalibration: { tradesAnalyzed: trades, emaSlippagePerSidePct: ema }, basePerSidePct: BASE });
        expect(mult).toBeGreaterThanOrEqual(1.5);
        expect(mult).toBeLessThanOrEqual(2.0);
      }),
    );
  });

  it("rejects a non-positive base slippage", () => {
    expect(() => slippageMult({ latestCalibration: null, basePerSidePct: 0 })).toThrow(ConfigError);
  });
});

describe("roundTripCost", () => {
  it.each([
    [0.12, 0.03, 2.0, 0.0024],
    [0.12, 0.03, 1.5, 0.0021],
    [0, 0.05, 1, 0.001],
  ])("fees %s %% + %s %% × 2 × %s → %s", (feePctRoundTrip, basePerSidePct, mult, expected) => {
    expect(roundTripCost({ feePctRoundTrip, basePerSidePct, slippageMult: mult })).toBeCloseTo(expected, 15);
  });

  it("rejects negative inputs", () => {
    expect(() => roundTripCost({ feePctRoundTrip: -0.1, basePerSidePct: 0.03, slippageMult: 2 })).toThrow(/feePctRoundTrip must be/);
  });
});
