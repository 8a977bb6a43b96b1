import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MINUTE_MS, percentile } from "@mlq/core";
import { buildRegimeLookup, classifyRegime, efficiencyRatio, proxyRegime, trailingVol, WINDOW_SPAN_FACTOR, type Regime } from "./regime.js";

describe("trailingVol and efficiencyRatio", () => {
  it("computes the sample std of log returns by hand", () => {
    // returns ln 1.1 = 0.0953102, ln(99/110) = -0.1053605; mean -0.0050252; var = 2·0.1003354² / 1
    expect(trailingVol([100, 110, 99])).toBeCloseTo(0.1418961, 6);
  });
  it.each([
    [[1, 2, 3, 2], 1 / 3],
    [[1, 2, 3, 4], 1],
    [[5, 4, 3], 1],
    [[2, 2, 2], 0],
    [[1, 3, 1], 0],
  ])("efficiency ratio of %j is %d", (closes, er) => {
    expect(efficiencyRatio(closes)).toBeCloseTo(er, 12);
  });
});

describe("classifyRegime", () => {
  const t = { volatileVol: 0.01, trendingEfficiency: 0.3 };
  it.each<[string, number[], Regime]>([
    ["a 2% zigzag is volatile", [100, 102, 100, 102, 100], "volatile"],
    ["a steady climb is trending", [100, 100.1, 100.2, 100.3, 100.4], "trending"],
    ["a small zigzag is ranging", [100, 100.1, 100, 100.1, 100], "ranging"],
    ["a flat window is ranging", [100, 100, 100, 100], "ranging"],
    ["ER exactly at the threshold is trending", [1000, 1003, 999.5, 1003], "trending"],
  ])("%s", (_label, closes, regime) => {
    expect(classifyRegime(closes, t)).toBe(regime);
  });

  it("never calls a flat window volatile even when the cutoff is 0", () => {
    expect(classifyRegime([5, 5, 5, 5], { volatileVol: 0, trendingEfficiency: 0.3 })).toBe("ranging");
  });
});

describe("proxyRegime", () => {
  it.each<[number, number, Regime]>([
    [3, 2, "volatile"],
    [-2, 2, "volatile"],
    [1, 2, "trending"],
    [-1, 2, "ranging"],
    [0, 2, "ranging"],
    [5, 0, "trending"], // a zero cutoff (all pnl 0 but this) does not make everything volatile
  ])("pnl_pct %d with |pnl| cutoff %d → %s", (pnl, cutoff, regime) => {
    expect(proxyRegime(pnl, cutoff)).toBe(regime);
  });
});

/** 200 trending bars, 100 ranging, then 120 volatile bars of growing amplitude, one a minute from T0. */
const T0 = Date.UTC(2026, 0, 1);
function syntheticSeries() {
  const ts: number[] = [];
  const close: number[] = [];
  for (let m = 0; m < 420; m++) {
    ts.push(T0 + m * MINUTE_MS);
    if (m < 200) close.push(100 + 0.1 * m);
    else if (m < 300) close.push(m % 2 === 0 ? 120 : 120.1);
    else close.push(120 * (m % 2 === 0 ? 1 + 0.01 + (0.03 * (m - 300)) / 119 : 1));
  }
  return { bucketTsMs: Float64Array.from(ts), close: Float64Array.from(close) };
}

describe("buildRegimeLookup", () => {
  const lookup = buildRegimeLookup(new Map([["BTC", syntheticSeries()]]), { lookbackBars: 5, volatilePercentile: 80, trendingEfficiency: 0.3 });
  const min = (m: number) => T0 + m * MINUTE_MS;

  it.each<[string, string, number, Regime | null]>([
    ["trending bars before the open", "BTC", min(200), "trending"],
    ["ranging bars before the open", "BTC", min(300), "ranging"],
    ["the widest swings in the history", "BTC", min(420), "volatile"],
    ["a window still within 2·L minutes of the open", "BTC", min(420 + 5), "volatile"],
    ["candles that stop more than 2·L minutes before the open", "BTC", min(420 + 6), null],
    ["fewer than L bars before the open", "BTC", min(4), null],
    ["a symbol without candles", "ETH", min(300), null],
  ])("%s → %s", (_label, symbol, open, regime) => {
    expect(lookup(symbol, open)).toBe(regime);
  });

  it("does not look at the bar in which the trade opens", () => {
    // Bar 300 (the first volatile one) would make the window trend upward; it closes after the open.
    expect(lookup("BTC", min(300) + 30_000)).toBe("ranging");
    expect(lookup("BTC", min(301))).toBe("trending");
  });

  it("matches classifyRegime on the covering window with the history's percentile cutoff", () => {
    const series = fc.record({
      gaps: fc.array(fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 30 })), { minLength: 15, maxLength: 150 }),
      rets: fc.array(fc.double({ min: -0.02, max: 0.02, noNaN: true }), { minLength: 150, maxLength: 150 }),
      L: fc.integer({ min: 3, max: 12 }),
      pct: fc.integer({ min: 50, max: 100 }),
      opens: fc.array(fc.double({ min: -0.05, max: 1.1, noNaN: true }), { minLength: 5, maxLength: 20 }),
    });
    fc.assert(
      fc.property(series, ({ gaps, rets, L, pct, opens }) => {
        const ts: number[] = [];
        const close: number[] = [];
        let t = T0;
        let c = 100;
        gaps.forEach((g, i) => {
          t += g * MINUTE_MS;
          c *= Math.exp(rets[i]!);
          ts.push(t);
          close.push(c);
        });
        const span = WINDOW_SPAN_FACTOR * L * MINUTE_MS;
        const vols: number[] = [];
        for (let e = L - 1; e < ts.length; e++) {
          if (ts[e - L + 1]! >= ts[e]! + MINUTE_MS - span) vols.push(trailingVol(close.slice(e - L + 1, e + 1)));
        }
        const cutoff = vols.length > 0 ? percentile(vols, pct) : Infinity;
        const lk = buildRegimeLookup(new Map([["S", { bucketTsMs: ts, close }]]), { lookbackBars: L, volatilePercentile: pct, trendingEfficiency: 0.3 });
        for (const f of opens) {
          const open = Math.round(ts[0]! + f * (ts.at(-1)! - ts[0]!));
          let e = -1;
          while (e + 1 < ts.length && ts[e + 1]! <= open - MINUTE_MS) e++;
          const s = e - L + 1;
          if (s < 0 || ts[s]! < open - span) {
            expect(lk("S", open)).toBeNull();
            continue;
          }
          const w = close.slice(s, e + 1);
          // Prefix sums and direct sums differ in the last bits: skip exact ties at a threshold.
          if (Math.abs(trailingVol(w) - cutoff) < 1e-12 || Math.abs(efficiencyRatio(w) - 0.3) < 1e-9) continue;
          expect(lk("S", open)).toBe(classifyRegime(w, { volatileVol: cutoff, trendingEfficiency: 0.3 }));
        }
      }),
      { numRuns: 200 },
    );
  });
});
