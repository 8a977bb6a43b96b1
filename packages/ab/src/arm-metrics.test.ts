import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DAY_MS, InputDataError } from "@mlq/core";
import { armMetrics, cumulativeReturns } from "./arm-metrics.js";

const T0 = Date.UTC(2026, 9, 1);
const daily = (n: number) => Array.from({ length: n }, (_, i) => T0 + i * DAY_MS);

describe("armMetrics", () => {
  it("computes every field for a tiny hand-checked arm", () => {
    // [-1, 0, 1, 4] closed on four consecutive days: mean 1, std √(14/3) = 2.160247, SR 0.462910,
    // span 3 days → 4 / (3/365.25) = 487 trades/year, annualized SR 0.462910·√487 = 10.215534;
    // 2 of 4 winners; PF = (1 + 4)/|−1| = 5; equity −1, −1, 0, 4 from a peak of 0 → drawdown 1.
    const m = armMetrics([-1, 0, 1, 4], daily(4));
    expect(m.trades).toBe(4);
    expect(m.expectancy).toBe(1);
    expect(m.std).toBeCloseTo(2.160246899, 9);
    expect(m.sharpe).toBeCloseTo(0.4629100499, 9);
    expect(m.tradesPerYear).toBeCloseTo(487, 9);
    expect(m.sharpeAnnualized).toBeCloseTo(10.215534389, 8);
    expect(m.winRate).toBe(0.5);
    expect(m.profitFactor).toBe(5);
    expect(m.profitFactorInfinite).toBe(false);
    expect(m.maxDrawdown).toBe(1);
    expect(m.skewness).toBeCloseTo(1.19034013, 8);
    expect(m.kurtosis).toBe(2);
    expect(m.psr).toBeCloseTo(0.870975, 6);
    expect(m.minTrackRecord).toBeCloseTo(7.345144, 5);
    expect(m.firstCloseTsMs).toBe(T0);
    expect(m.lastCloseTsMs).toBe(T0 + 3 * DAY_MS);
  });

  it("measures drawdown from the running peak of the summed returns", () => {
    // equity 2, 3, 1, 0.5, 4, 1 → worst fall 4 − 1 = 3 (the later one)
    expect(armMetrics([2, 1, -2, -0.5, 3.5, -3], daily(6)).maxDrawdown).toBeCloseTo(3, 12);
  });

  it.each([
    // label, returns, profitFactor, infinite, winRate
    ["all winning", [0.5, 1, 0.25], null, true, 1],
    ["all losing", [-0.5, -1, -0.25], 0, false, 0],
    ["all flat", [0, 0, 0], null, false, 0],
    ["mixed", [2, -1, -1, 0], 1, false, 0.25],
  ])("profit factor for %s", (_label, xs, pf, infinite, winRate) => {
    const m = armMetrics(xs, daily(xs.length));
    expect(m.profitFactor).toBe(pf);
    expect(m.profitFactorInfinite).toBe(infinite);
    expect(m.winRate).toBe(winRate);
  });

  it("leaves Sharpe, skew, kurtosis, PSR and MinTRL undefined for zero variance", () => {
    const m = armMetrics(Array<number>(150).fill(0.1), daily(150));
    expect(m.expectancy).toBeCloseTo(0.1, 12);
    expect([m.sharpe, m.sharpeAnnualized, m.skewness, m.kurtosis, m.psr, m.minTrackRecord]).toEqual([null, null, null, null, null, null]);
    expect(m.profitFactorInfinite).toBe(true);
  });

  it.each([
    ["no trades", [], []],
    ["one trade", [0.3], [T0]],
    ["two trades closed at the same instant", [0.3, -0.1], [T0, T0]],
  ])("stays JSON-safe with %s", (_label, xs, ts) => {
    const m = armMetrics(xs, ts);
    expect(m.trades).toBe(xs.length);
    expect(m.sharpeAnnualized).toBeNull();
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it("never produces NaN or Infinity, whatever the returns", () => {
    const value = fc.oneof(fc.constantFrom(0, 0.1, -0.1, 1e-300, -5), fc.double({ min: -100, max: 100, noNaN: true }));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 60 }), (xs) => {
        const m = armMetrics(xs, daily(xs.length));
        for (const [k, v] of Object.entries(m)) {
          if (typeof v === "number") expect(Number.isFinite(v), k).toBe(true);
        }
        expect(JSON.parse(JSON.stringify(m))).toEqual(m);
      }),
    );
  });

  it("rejects mismatched inputs and non-finite returns with InputDataError", () => {
    expect(() => armMetrics([1, 2], [T0])).toThrow(InputDataError);
    expect(() => armMetrics([1, Number.NaN], daily(2))).toThrow(/return #1 is not a finite number/);
  });
});

describe("cumulativeReturns", () => {
  it.each([
    [[], []],
    [[1, -2, 0.5], [1, -1, -0.5]],
    [[0.5, 0.25], [0.5, 0.75]],
  ])("%j -> %j", (xs, out) => expect(cumulativeReturns(xs)).toEqual(out));

  it("has one point per trade and ends at the total", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 })), (xs) => {
        const c = cumulativeReturns(xs);
        expect(c.length).toBe(xs.length);
        expect(c.at(-1) ?? 0).toBe(xs.reduce((a, b) => a + b, 0));
      }),
    );
  });
});
