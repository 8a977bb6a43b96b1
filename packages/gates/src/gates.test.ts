import { describe, expect, it } from "vitest";
import { ConfigError, DAY_MS, HOUR_MS } from "@mlq/core";
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
function vols(values: readonly number[], returns = 100): DailyVol[] {
  const start = Date.UTC(2025, 11, 27);
  return values.map((vol, i) => ({ symbol: "BTC", dayMs: start + i * DAY_MS, vol, returns }));
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
    });
    expect(SMOKE).toMatchObject({ smoke: true, paperDays: 7, minClosedTrades: 10, volPercentileLo: 20 });
  });

  it.each([{ volPercentileLo: 80, volPercentileHi: 20 }, { volPercentileLo: -1 }, { minReturnsPerDay: 1 }])(
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
    expect(r.details).toBe("Vol range [5.00, 60.00] vs 20th–80th [12.00, 48.00] (2 paper / 7 history symbol-days)");
    expect(r.metrics).toMatchObject({ historyDays: 7, paperMin: 5, paperMax: 60, paperDays: 2 });
    expect(r.metrics?.historyLo).toBeCloseTo(12, 12);
    expect(r.metrics?.historyHi).toBeCloseTo(48, 12);
  });

  it("passes at the boundary min == p20 and max == p80", () => {
    // sorted [10, 20, 20, 30, 40, 50, 50, 60] → p20 rank 1.4 → 20; p80 rank 5.6 → 50
    const r = regimeDiversityGate(snapshot({ dailyVols: vols([10, 30, 40, 60, 20, 50, 20, 50]) }), POLICY);
    expect(r.metrics).toMatchObject({ historyLo: 20, historyHi: 50, paperMin: 20, paperMax: 50 });
    expect(r.passed).toBe(true);
  });

  it("fails when the paper period only saw calm days, reporting the covered fraction", () => {
    // sorted [10, 12, 14, 20, 30, 40, 50] → p20 rank 1.2 → 12.4; p80 rank 4.8 → 38
    const r = regimeDiversityGate(snapshot({ dailyVols: vols([10, 20, 30, 40, 50, 12, 14]) }), POLICY);
    expect(r.passed).toBe(false);
    expect(r.details).toBe("Vol range [12.00, 14.00] vs 20th–80th [12.40, 38.00] (2 paper / 7 history symbol-days)");
    expect(r.value).toBeCloseTo(1.6 / 25.6, 12);
  });

  it("ignores symbol-days with fewer returns than the policy asks", () => {
    const dailyVols = [...vols([10, 20, 30, 40, 50, 5]), ...vols([0, 0, 0, 0, 0, 0, 999], 59).slice(6)];
    const r = regimeDiversityGate(snapshot({ dailyVols }), POLICY);
    expect(r.metrics?.historyDays).toBe(6);
    expect(r.metrics?.paperMax).toBe(5);
  });

  it.each([
    ["no vols at all", snapshot(), /^No daily volatility data: no symbol-day has ≥ 60 one-minute returns/],
    [
      "no vols in the paper period",
      snapshot({ dailyVols: vols([10, 20, 30]) }),
      /^No daily volatility data since the paper period began 2026-01-01; history 20th–80th \[14\.00, 26\.00\]/,
    ],
    [
      "no paper trades",
      snapshot({ firstPaperTradeTsMs: null, paperStartDayMs: null, dailyVols: vols([10, 20, 30]) }),
      /^No paper trades yet/,
    ],
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
