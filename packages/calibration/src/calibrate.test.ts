import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "@mlq/core";
import { calibrate, type CalibrationTrade } from "./calibrate.js";
import { DEFAULT_CALIBRATION_POLICY, type CalibrationPolicy } from "./policy.js";
import type { Regime, RegimeLookup } from "./regime.js";

const T0 = Date.UTC(2026, 0, 1);
const at = (h: number) => T0 + h * 3_600_000;

function trade(p: Partial<CalibrationTrade> & { id: number }): CalibrationTrade {
  return {
    symbol: "BTC",
    side: "long",
    openedTsMs: at(1),
    closedTsMs: at(2),
    entryPrice: 100,
    exitPrice: 100,
    signalEntryPrice: 100,
    signalExitPrice: 100,
    pnlPct: 0,
    ...p,
  };
}

// alpha 0.5, no boost, assumed = 0.03 × 2 = 0.06 % per side, buckets need 2 trades.
const policy: CalibrationPolicy = { ...DEFAULT_CALIBRATION_POLICY, emaSpan: 3, recentTrades: 0, recentBoost: 1, alphaCap: 1, minBucketTrades: 2 };

const byRegime =
  (map: Record<string, Regime | null>): RegimeLookup =>
  (symbol) =>
    map[symbol] ?? null;

/*
 * Hand-computed scenario (slippage per side, %):
 *  #1 long  01:00→02:00  entry +0.1 (00-06), exit +0.1 (00-06)    trade 0.1
 *  #2 short 05:00→07:00  entry +0.1 (00-06), exit +0.2 (06-12)    trade 0.15
 *  #3 long  06:00→08:00  entry +0.055 (06-12), exit NULL signal   trade 0.055
 *  #4 closes before it opens; #5 has no usable side.
 * EMA(0.1, 0.15, 0.055) = 0.1 → 0.125 → 0.09; r = 1.5 → multiplier 1/1.5.
 * 00-06: EMA(0.1, 0.1, 0.1) = 0.1, r = 5/3 → 0.6.  06-12: EMA(0.2, 0.055) = 0.1275, r = 2.125 → 0.5.
 */
const scenario: CalibrationTrade[] = [
  trade({ id: 3, openedTsMs: at(6), closedTsMs: at(8), entryPrice: 100.055, signalExitPrice: null, exitPrice: 101, pnlPct: null, symbol: "XRP" }),
  trade({ id: 1, entryPrice: 100.1, signalExitPrice: 200, exitPrice: 199.8, pnlPct: 0.2 }),
  trade({ id: 2, side: "short", symbol: "ETH", openedTsMs: at(5), closedTsMs: at(7), signalEntryPrice: 50, entryPrice: 49.95, signalExitPrice: 50, exitPrice: 50.1, pnlPct: 1.5 }),
  trade({ id: 4, openedTsMs: at(3), closedTsMs: at(2) }),
  trade({ id: 5, signalEntryPrice: 0, signalExitPrice: null }),
];

describe("calibrate", () => {
  const report = calibrate(scenario, byRegime({ BTC: "trending" }), policy);

  it("computes the overall EMA, ratio and multiplier by hand", () => {
    expect(report.tradesAnalyzed).toBe(3);
    expect(report.tradesSeen).toBe(5);
    expect(report.emaSlippagePerSidePct).toBeCloseTo(0.09, 10);
    expect(report.meanSlippagePerSidePct).toBeCloseTo((0.1 + 0.15 + 0.055) / 3, 10);
    expect(report.assumedSlippagePerSidePct).toBeCloseTo(0.06, 12);
    expect(report.slippageRatio).toBeCloseTo(1.5, 10);
    expect(report.positionSizeMultiplier).toBeCloseTo(1 / 1.5, 10);
    expect(report.firstClosedTsMs).toBe(at(2));
    expect(report.lastClosedTsMs).toBe(at(8));
  });

  it("puts each side in the bucket of its own fill time", () => {
    const tod = report.timeOfDay;
    expect(tod["00-06"]).toMatchObject({ trades: 2, sides: 3, inherited: false });
    expect(tod["00-06"].emaSlippagePerSidePct).toBeCloseTo(0.1, 10);
    expect(tod["00-06"].positionSizeMultiplier).toBeCloseTo(0.6, 10);
    expect(tod["06-12"]).toMatchObject({ trades: 2, sides: 2, inherited: false, positionSizeMultiplier: 0.5 });
    expect(tod["06-12"].emaSlippagePerSidePct).toBeCloseTo(0.1275, 10);
    expect(tod["06-12"].meanSlippagePerSidePct).toBeCloseTo(0.1275, 10);
  });

  it("lets buckets with too few trades inherit the overall multiplier", () => {
    for (const b of ["12-18", "18-24"] as const) {
      expect(report.timeOfDay[b]).toMatchObject({ trades: 0, sides: 0, emaSlippagePerSidePct: null, inherited: true });
      expect(report.timeOfDay[b].positionSizeMultiplier).toBeCloseTo(1 / 1.5, 10);
    }
    expect(report.regimes.trending).toMatchObject({ trades: 1, inherited: true });
    expect(report.regimes.trending.emaSlippagePerSidePct).toBeCloseTo(0.1, 10);
    expect(report.regimes.trending.positionSizeMultiplier).toBeCloseTo(1 / 1.5, 10);
  });

  it("classifies by candles first, then by the pnl proxy, and counts each method", () => {
    // #2 has no candles: |1.5| ≥ p80 of |pnl| {0.2, 1.5} = 1.24 → volatile. #3 has no pnl → unclassified.
    expect(report.regimeMethod).toEqual({ candles: 1, pnl_proxy: 1, unclassified: 1 });
    expect(report.regimes.volatile.trades).toBe(1);
    expect(report.regimes.volatile.emaSlippagePerSidePct).toBeCloseTo(0.15, 10);
    expect(report.regimes.ranging.trades).toBe(0);
  });

  it("counts skipped sides and trades by reason", () => {
    expect(report.skipped).toEqual({
      null_signal: 1,
      zero_signal: 0,
      invalid_price: 0,
      missing_fill: 0,
      invalid_side: 0,
      invalid_timestamp: 0,
      closed_before_open: 1,
      no_usable_side: 1,
    });
  });

  it("writes recommendations from the numbers", () => {
    expect(report.recommendations).toContain("Overall slippage is 1.5× assumed (0.090% vs 0.060% per side): size 0.67×.");
    expect(report.recommendations).toContain("In 00-06 UTC slippage is 1.7× assumed: size 0.60×.");
    expect(report.recommendations).toContain("In 06-12 UTC slippage is 2.1× assumed: size 0.50×.");
    expect(report.recommendations.join(" ")).toMatch(/12-18 UTC \(0\)/);
    expect(report.recommendations.join(" ")).toMatch(/1 trade without a usable signal\/fill pair/);
    expect(report.recommendations.join(" ")).toMatch(/1 trade closed before it opened/);
  });

  it.each([
    ["NaN prices", { entryPrice: Number.NaN, exitPrice: Number.NaN }, "no_usable_side"],
    ["a NULL close time", { closedTsMs: null }, "invalid_timestamp"],
    ["an unknown side", { side: "flat" }, "invalid_side"],
  ])("skips a trade with %s", (_label, bad, reason) => {
    const r = calibrate([trade({ id: 1, ...bad })], () => null, policy);
    expect(r.tradesAnalyzed).toBe(0);
    expect(r.skipped[reason as keyof typeof r.skipped]).toBe(1);
  });

  it("orders trades by close time, ties by id", () => {
    const p = { ...policy, emaSpan: 9 }; // alpha 0.2: the order matters
    const a = trade({ id: 10, entryPrice: 100.1, exitPrice: 99.9 }); // 0.1
    const b = trade({ id: 11, entryPrice: 100.3, exitPrice: 99.7 }); // 0.3
    const r = calibrate([b, a], () => null, p);
    expect(r.emaSlippagePerSidePct).toBeCloseTo(0.8 * 0.1 + 0.2 * 0.3, 10);
  });

  it("gives the same report for any input order", () => {
    const trades = fc.array(
      fc.record({
        closeMin: fc.integer({ min: 0, max: 50 }),
        entrySlip: fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        exitSlip: fc.double({ min: -0.5, max: 0.5, noNaN: true }),
      }),
      { minLength: 1, maxLength: 40 },
    );
    fc.assert(
      fc.property(trades, fc.infiniteStream(fc.nat()), (specs, seeds) => {
        const list = specs.map((s, i) =>
          trade({ id: i + 1, closedTsMs: at(2) + s.closeMin * 60_000, entryPrice: 100 * (1 + s.entrySlip / 100), exitPrice: 100 * (1 - s.exitSlip / 100) }),
        );
        const it = seeds[Symbol.iterator]();
        const shuffled = [...list];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = (it.next().value as number) % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        expect(calibrate(shuffled, () => null, policy)).toEqual(calibrate(list, () => null, policy));
      }),
      { numRuns: 50 },
    );
  });

  it("returns safe placeholders when there are no trades", () => {
    const r = calibrate([], () => null, policy);
    expect(r).toMatchObject({ tradesAnalyzed: 0, emaSlippagePerSidePct: null, positionSizeMultiplier: 1, slippageRatio: null });
    expect(r.timeOfDay["00-06"]).toMatchObject({ inherited: true, positionSizeMultiplier: 1 });
    expect(r.recommendations).toEqual(["No closed paper trades yet: keep size 1.00× until slippage can be measured."]);
  });

  it("explains a placeholder when no trade has usable prices", () => {
    const r = calibrate([trade({ id: 1, signalEntryPrice: null, signalExitPrice: null })], () => null, policy);
    expect(r.positionSizeMultiplier).toBe(1);
    expect(r.recommendations[0]).toMatch(/None of 1 closed trade has usable signal and fill prices/);
  });

  it("rejects an invalid policy with one ConfigError naming the fields", () => {
    expect(() => calibrate([], () => null, { ...policy, emaSpan: 0, basePerSidePct: -1 })).toThrow(/invalid calibration policy: emaSpan: .*; basePerSidePct/);
    expect(() => calibrate([], () => null, { ...policy, alphaCap: 2 })).toThrow(ConfigError);
  });
});

/*
 * The same calibrator with the ×3 recent boost on (SPEC 7: alpha ×3 for the most recent trades,
 * capped at 0.5): span 19 → alpha 0.1, boosted 0.3, the most recent 2 trades; buckets need 2.
 * Long trades on BTC (trending), signal 100, slippage per side in %:
 *  #1 01:00→02:00 0.06 / 0.06   #2 02:00→03:00 0.06 / 0.06   #3 03:00→04:00 0.06 / 0.06
 *  #4 04:00→05:00 0.09 / 0.09   #5 05:00→07:00 entry 0.09 (00-06), exit 0.12 (06-12) → trade 0.105
 * Overall EMA(0.06, 0.06, 0.06 | 0.09, 0.105): 0.06, 0.06, 0.06, then boosted
 *   0.3·0.09 + 0.7·0.06 = 0.069, 0.3·0.105 + 0.7·0.069 = 0.0798 → r = 1.33, multiplier 0.06/0.0798 = 0.7518797
 *   (without the boost: 0.063, 0.0672 → r = 1.12, multiplier 1.0).
 * 00-06 holds 9 sides of 5 trades: 0.06 ×6, then #4's 0.09, 0.09 and #5's entry 0.09. The boost covers
 *   the sides of the bucket's 2 most recent trades (#4, #5), all three 0.09 sides:
 *   0.069, 0.3·0.09 + 0.7·0.069 = 0.0753, 0.3·0.09 + 0.7·0.0753 = 0.07971 → multiplier 0.06/0.07971 = 0.7527287.
 * 06-12 holds #5's exit only: EMA 0.12, 1 trade < 2 → inherits 0.7518797.
 * trending holds all 5 trades: the overall figures.
 */
describe("calibrate with the ×3 recent boost", () => {
  const boosted: CalibrationPolicy = { ...DEFAULT_CALIBRATION_POLICY, emaSpan: 19, recentTrades: 2, minBucketTrades: 2 };
  const slipped = (id: number, open: number, close: number, entrySlip: number, exitSlip: number) =>
    trade({ id, openedTsMs: at(open), closedTsMs: at(close), entryPrice: 100 + entrySlip, exitPrice: 100 - exitSlip });
  const trades = [slipped(1, 1, 2, 0.06, 0.06), slipped(2, 2, 3, 0.06, 0.06), slipped(3, 3, 4, 0.06, 0.06), slipped(4, 4, 5, 0.09, 0.09), slipped(5, 5, 7, 0.09, 0.12)];
  const report = calibrate(trades, byRegime({ BTC: "trending" }), boosted);

  it("uses the defaults' boost ×3 and cap 0.5", () => {
    expect(boosted).toMatchObject({ recentBoost: 3, alphaCap: 0.5 });
  });

  it("boosts the two most recent trades of the overall EMA", () => {
    expect(report.emaSlippagePerSidePct).toBeCloseTo(0.0798, 12);
    expect(report.slippageRatio).toBeCloseTo(1.33, 12);
    expect(report.positionSizeMultiplier).toBeCloseTo(0.06 / 0.0798, 12);
  });

  it("boosts every side of a bucket's most recent trades, not its last sides", () => {
    expect(report.timeOfDay["00-06"]).toMatchObject({ trades: 5, sides: 9, inherited: false });
    expect(report.timeOfDay["00-06"].emaSlippagePerSidePct).toBeCloseTo(0.07971, 12);
    expect(report.timeOfDay["00-06"].positionSizeMultiplier).toBeCloseTo(0.06 / 0.07971, 12);
    expect(report.timeOfDay["06-12"]).toMatchObject({ trades: 1, sides: 1, inherited: true });
    expect(report.timeOfDay["06-12"].emaSlippagePerSidePct).toBeCloseTo(0.12, 12);
    expect(report.timeOfDay["06-12"].positionSizeMultiplier).toBeCloseTo(0.06 / 0.0798, 12);
  });

  it("boosts the regime's most recent trades the same way", () => {
    expect(report.regimes.trending).toMatchObject({ trades: 5, inherited: false });
    expect(report.regimes.trending.emaSlippagePerSidePct).toBeCloseTo(0.0798, 12);
  });
});
