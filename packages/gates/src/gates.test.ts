import { describe, expect, it } from "vitest";
import { ConfigError, DAY_MS, HOUR_MS, percentile } from "@mlq/core";
import { evaluateGates, paperAgeGate, regimeDiversityGate, tradeCountGate } from "./gates.js";
import { gatePolicy, type GateConfig } from "./policy.js";
import type { DailyVol, GateSnapshot } from "./types.js";

const CONFIG: GateConfig = {
  paperDays: 14,
  paperDaysSmoke: 7,
  minClosedTrades: 75,
  minClosedTradesSmoke: 10,
  volPercentileLo: 20,
  volPercentileHi: 80,
  minReturnsPerDay: 60,
  regimeMinHistoryDays: 7,
  regimeMinSymbolShare: 1,
};
const POLICY = gatePolicy(CONFIG);
const SMOKE = gatePolicy(CONFIG, true);
const T0 = Date.UTC(2026, 0, 1, 9, 30);

function snapshot(over: Partial<GateSnapshot> = {}): GateSnapshot {
  return {
    nowMs: T0 + 20 * DAY_MS,
    firstPaperTradeTsMs: T0,
    paperStartDayMs: Date.UTC(2026, 0, 1),
    closedTrades: 100,
    dailyVols: [],
    ...over,
  };
}

/** One vol per day starting 2025-12-27 (5 days before the paper period starts on 2026-01-01). */
function vols(values: readonly number[], returns = 100, symbol = "BTC"): DailyVol[] {
  const start = Date.UTC(2025, 11, 27);
  return values.map((vol, i) => ({ symbol, dayMs: start + i * DAY_MS, vol, returns }));
}

describe("gatePolicy", () => {
  it("uses the normal thresholds, or the relaxed ones in smoke mode", () => {
    expect(POLICY).toEqual({
      smoke: false,
      paperDays: 14,
      minClosedTrades: 75,
      volPercentileLo: 20,
      volPercentileHi: 80,
      minReturnsPerDay: 60,
      regimeMinHistoryDays: 7,
      regimeMinSymbolShare: 1,
    });
    expect(SMOKE).toMatchObject({ smoke: true, paperDays: 7, minClosedTrades: 10, volPercentileLo: 20 });
  });

  it.each([
    { volPercentileLo: 80, volPercentileHi: 20 },
    { volPercentileLo: -1 },
    { minReturnsPerDay: 1 },
    { regimeMinHistoryDays: 0 },
    { regimeMinSymbolShare: 0 },
    { regimeMinSymbolShare: 1.5 },
  ])(
    "rejects %o with ConfigError",
    (over) => {
      expect(() => gatePolicy({ ...CONFIG, ...over })).toThrow(ConfigError);
    },
  );
});

describe("paperAgeGate", () => {
  it.each([
    ["exactly 14 days", 14 * DAY_MS, POLICY, true, 14],
    ["one hour short", 14 * DAY_MS - HOUR_MS, POLICY, false, 14 - 1 / 24],
    ["7 days in smoke mode", 7 * DAY_MS, SMOKE, true, 7],
    ["6.5 days in smoke mode", 6.5 * DAY_MS, SMOKE, false, 6.5],
  ])("%s", (_label, age, policy, passed, value) => {
    const r = paperAgeGate(snapshot({ nowMs: T0 + age }), policy);
    expect(r).toMatchObject({ name: "paper_age", passed, threshold: policy.paperDays });
    expect(r.value).toBeCloseTo(value, 12);
  });

  it("fails with a null value when there are no paper trades", () => {
    expect(paperAgeGate(snapshot({ firstPaperTradeTsMs: null, paperStartDayMs: null }), POLICY)).toMatchObject({
      passed: false,
      value: null,
      threshold: 14,
    });
  });

  it("details name the age, the first trade and the threshold", () => {
    expect(paperAgeGate(snapshot({ nowMs: T0 + 15.5 * DAY_MS }), POLICY).details).toBe(
      "15.50 days since first paper trade 2026-01-01T09:30:00.000Z (need ≥ 14)",
    );
  });
});

describe("tradeCountGate", () => {
  it.each([
    [75, true, POLICY],
    [74, false, POLICY],
    [10, true, SMOKE],
    [9, false, SMOKE],
    [0, false, POLICY],
  ])("%i closed trades → passed: %s", (n, passed, policy) => {
    expect(tradeCountGate(snapshot({ closedTrades: n }), policy)).toMatchObject({
      name: "trade_count",
      passed,
      value: n,
      threshold: policy.minClosedTrades,
    });
  });
});

describe("regimeDiversityGate", () => {
  // History [10, 20, 30, 40, 50] (days 0..4 before the paper period) + paper days.
  it("passes when the paper range covers the band (hand-computed percentiles)", () => {
    // all 7 vols sorted: [5, 10, 20, 30, 40, 50, 60]; p20 rank 1.2 → 10 + 0.2·10 = 12; p80 rank 4.8 → 40 + 0.8·10 = 48
    const r = regimeDiversityGate(snapshot({ dailyVols: vols([10, 20, 30, 40, 50, 5, 60]) }), POLICY);
    expect(r).toMatchObject({ name: "regime_diversity", passed: true, value: 1, threshold: 1 });
    expect(r.details).toBe(
      "1 of 1 symbols cover their own 20th–80th band (need 100 %): BTC: vol range [5.00, 60.00] vs 20th–80th [12.00, 48.00] (2 paper / 7 history days)",
    );
    expect(r.metrics).toEqual({ symbolsTotal: 1, symbolsCounted: 1, symbolsPassing: 1, requiredShare: 1 });
    expect(r.symbols).toHaveLength(1);
    expect(r.symbols![0]).toMatchObject({ symbol: "BTC", paperMin: 5, paperMax: 60, paperDays: 2, historyDays: 7, counted: true, passed: true });
    expect(r.symbols![0]!.historyLo).toBeCloseTo(12, 12);
    expect(r.symbols![0]!.historyHi).toBeCloseTo(48, 12);
  });

  it("passes at the boundary min == p20 and max == p80", () => {
    // sorted [10, 20, 20, 30, 40, 50, 50, 60] → p20 rank 1.4 → 20; p80 rank 5.6 → 50
    const r = regimeDiversityGate(snapshot({ dailyVols: vols([10, 30, 40, 60, 20, 50, 20, 50]) }), POLICY);
    expect(r.symbols![0]).toMatchObject({ historyLo: 20, historyHi: 50, paperMin: 20, paperMax: 50, passed: true });
    expect(r.passed).toBe(true);
  });

  it("fails when the paper period only saw calm days", () => {
    // sorted [10, 12, 14, 20, 30, 40, 50] → p20 rank 1.2 → 12.4; p80 rank 4.8 → 38
    const r = regimeDiversityGate(snapshot({ dailyVols: vols([10, 20, 30, 40, 50, 12, 14]) }), POLICY);
    expect(r).toMatchObject({ passed: false, value: 0, threshold: 1 });
    expect(r.details).toBe(
      "0 of 1 symbols cover their own 20th–80th band (need 100 %): BTC: vol range [12.00, 14.00] vs 20th–80th [12.40, 38.00] (2 paper / 7 history days)",
    );
  });

  // Known answer: a calm symbol whose paper days were all calm and a stormy one whose paper
  // days were all stormy. Pooled, BTC's calm days reach below the pooled p20 and ETH's stormy
  // days above the pooled p80, so the pooled rule passes; neither symbol saw its own band.
  const calmAndStormy = [...vols([10, 12, 14, 16, 18, 10.5, 11]), ...vols([50, 60, 70, 80, 90, 85, 88], 100, "ETH")];

  it("fails two symbols of very different vol that the pooled rule would pass", () => {
    // The pooled rule, by hand: 14 vols sorted [10, 10.5, 11, 12, 14, 16, 18, 50, 60, 70, 80, 85, 88, 90];
    // p20 rank 2.6 → 11.6, p80 rank 10.4 → 82; paper [10.5, 11, 85, 88] covers [11.6, 82].
    const all = calmAndStormy.map((v) => v.vol);
    const paper = calmAndStormy.slice(5, 7).concat(calmAndStormy.slice(12)).map((v) => v.vol);
    expect(percentile(all, 20)).toBeCloseTo(11.6, 12);
    expect(percentile(all, 80)).toBeCloseTo(82, 12);
    expect(Math.min(...paper) <= 11.6 && Math.max(...paper) >= 82).toBe(true);

    // Per symbol: BTC sorted [10, 10.5, 11, 12, 14, 16, 18] → band [10.6, 15.6], paper [10.5, 11] misses the top;
    // ETH sorted [50, 60, 70, 80, 85, 88, 90] → band [62, 87.4], paper [85, 88] misses the bottom.
    const r = regimeDiversityGate(snapshot({ dailyVols: calmAndStormy }), POLICY);
    expect(r).toMatchObject({ name: "regime_diversity", passed: false, value: 0, threshold: 1 });
    expect(r.details).toBe(
      "0 of 2 symbols cover their own 20th–80th band (need 100 %): " +
        "BTC: vol range [10.50, 11.00] vs 20th–80th [10.60, 15.60] (2 paper / 7 history days); " +
        "ETH: vol range [85.00, 88.00] vs 20th–80th [62.00, 87.40] (2 paper / 7 history days)",
    );
    expect(r.symbols!.map((s) => [s.symbol, s.passed])).toEqual([
      ["BTC", false],
      ["ETH", false],
    ]);
    expect(r.symbols![1]!.historyLo).toBeCloseTo(62, 12);
    expect(r.symbols![1]!.historyHi).toBeCloseTo(87.4, 12);
  });

  it("passes when the configured share of symbols covers its band", () => {
    // ETH's paper period saw a 55 % and an 88 % day: sorted [50, 55, 60, 70, 80, 88, 90] → band [56, 86.4], covered.
    const dailyVols = [...vols([10, 12, 14, 16, 18, 10.5, 11]), ...vols([50, 60, 70, 80, 90, 55, 88], 100, "ETH")];
    const strict = regimeDiversityGate(snapshot({ dailyVols }), POLICY);
    expect(strict).toMatchObject({ passed: false, value: 0.5, threshold: 1 });
    expect(strict.symbols!.map((s) => s.passed)).toEqual([false, true]);
    const half = regimeDiversityGate(snapshot({ dailyVols }), gatePolicy({ ...CONFIG, regimeMinSymbolShare: 0.5 }));
    expect(half).toMatchObject({ passed: true, value: 0.5, threshold: 0.5 });
    expect(half.details).toMatch(/^1 of 2 symbols cover their own 20th–80th band \(need 50 %\): BTC: /);
  });

  it("lists a symbol with too little history without counting it", () => {
    const dailyVols = [...vols([10, 20, 30, 40, 50, 5, 60]), ...vols([90, 91, 92], 100, "NEW").map((v) => ({ ...v, dayMs: v.dayMs + 5 * DAY_MS }))];
    const r = regimeDiversityGate(snapshot({ dailyVols }), POLICY);
    expect(r).toMatchObject({ passed: true, value: 1 });
    expect(r.metrics).toEqual({ symbolsTotal: 2, symbolsCounted: 1, symbolsPassing: 1, requiredShare: 1 });
    expect(r.details).toContain("; NEW: not counted, 3 history days (need ≥ 7)");
    expect(r.symbols![1]).toMatchObject({ symbol: "NEW", counted: false, passed: false, historyDays: 3, paperDays: 3 });
  });

  it("fails a counted symbol that has no paper-period days", () => {
    const dailyVols = [...vols([10, 20, 30, 40, 50, 5, 60]), ...vols([10, 20, 30, 40, 50], 100, "OLD").map((v) => ({ ...v, dayMs: v.dayMs - 2 * DAY_MS }))];
    const r = regimeDiversityGate(snapshot({ dailyVols }), gatePolicy({ ...CONFIG, regimeMinHistoryDays: 5 }));
    expect(r).toMatchObject({ passed: false, value: 0.5 });
    expect(r.details).toContain("OLD: no paper-period days vs 20th–80th [18.00, 42.00] (0 paper / 5 history days)");
    expect(r.symbols![1]).toMatchObject({ symbol: "OLD", paperMin: null, paperMax: null, counted: true, passed: false });
  });

  it("ignores symbol-days with fewer returns than the policy asks", () => {
    const dailyVols = [...vols([10, 20, 30, 40, 50, 5, 8]), ...vols([0, 0, 0, 0, 0, 0, 0, 999], 59).slice(7)];
    const r = regimeDiversityGate(snapshot({ dailyVols }), POLICY);
    expect(r.symbols![0]).toMatchObject({ historyDays: 7, paperMax: 8 });
  });

  it.each([
    ["no vols at all", snapshot(), /^No daily volatility data: no symbol-day has ≥ 60 one-minute returns/],
    [
      "no vols in the paper period",
      snapshot({ dailyVols: vols([10, 20, 30, 40, 50, 60, 70]).map((v) => ({ ...v, dayMs: v.dayMs - 7 * DAY_MS })) }),
      /^No daily volatility data since the paper period began 2026-01-01; BTC: no paper-period days vs 20th–80th \[22\.00, 58\.00\]/,
    ],
    [
      "no paper trades",
      snapshot({ firstPaperTradeTsMs: null, paperStartDayMs: null, dailyVols: vols([10, 20, 30]) }),
      /^No paper trades yet; BTC: not counted/,
    ],
    ["too little history for every symbol", snapshot({ dailyVols: vols([10, 20, 30]) }), /^No symbol has ≥ 7 days of daily volatility; BTC: not counted, 3 history days/],
  ])("fails with a clear detail and a null value when there are %s", (_label, snap, details) => {
    const r = regimeDiversityGate(snap, POLICY);
    expect(r).toMatchObject({ passed: false, value: null, threshold: 1 });
    expect(r.details).toMatch(details);
    expect(JSON.stringify(r)).not.toMatch(/NaN/);
  });
});

describe("evaluateGates", () => {
  it("returns the three gates in log order and never NaN", () => {
    const results = evaluateGates(snapshot({ firstPaperTradeTsMs: null, paperStartDayMs: null, closedTrades: 0 }), POLICY);
    expect(results.map((r) => [r.name, r.passed])).toEqual([
      ["paper_age", false],
      ["trade_count", false],
      ["regime_diversity", false],
    ]);
    for (const r of results) {
      expect(r.value === null || Number.isFinite(r.value)).toBe(true);
      expect(r.threshold === null || Number.isFinite(r.threshold)).toBe(true);
    }
  });
});
