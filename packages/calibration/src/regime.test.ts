import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MINUTE_MS, percentile } from "@mlq/core";
import { tradeRegimes, type CalibrationTrade } from "./calibrate.js";
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

/**
 * 100 bars of ±2 % swings, 200 trending bars, 100 ranging, then 120 volatile bars of growing
 * amplitude, one a minute from T0: by the ranging stretch the history has already seen wilder bars.
 */
const T0 = Date.UTC(2026, 0, 1);
function syntheticSeries() {
  const ts: number[] = [];
  const close: number[] = [];
  for (let m = 0; m < 520; m++) {
    ts.push(T0 + m * MINUTE_MS);
    if (m < 100) close.push(m % 2 === 0 ? 100 : 102);
    else if (m < 300) close.push(100 + 0.1 * (m - 100));
    else if (m < 400) close.push(m % 2 === 0 ? 120 : 120.1);
    else close.push(120 * (m % 2 === 0 ? 1 + 0.01 + (0.03 * (m - 400)) / 119 : 1));
  }
  return { bucketTsMs: Float64Array.from(ts), close: Float64Array.from(close) };
}

/** A random walk with mostly one-minute gaps (some longer), from T0. */
const walk = fc.record({
  gaps: fc.array(fc.oneof({ arbitrary: fc.constant(1), weight: 12 }, { arbitrary: fc.integer({ min: 1, max: 30 }), weight: 1 }), { minLength: 15, maxLength: 150 }),
  rets: fc.array(fc.double({ min: -0.02, max: 0.02, noNaN: true }), { minLength: 150, maxLength: 150 }),
});
function walkSeries({ gaps, rets }: { gaps: number[]; rets: number[] }, from = T0, start = 100): { ts: number[]; close: number[] } {
  const ts: number[] = [];
  const close: number[] = [];
  let t = from;
  let c = start;
  gaps.forEach((g, i) => {
    t += g * MINUTE_MS;
    c *= Math.exp(rets[i]!);
    ts.push(t);
    close.push(c);
  });
  return { ts, close };
}

describe("buildRegimeLookup", () => {
  const lookup = buildRegimeLookup(new Map([["BTC", syntheticSeries()]]), { lookbackBars: 5, volatilePercentile: 80, trendingEfficiency: 0.3 });
  const min = (m: number) => T0 + m * MINUTE_MS;

  it.each<[string, string, number, Regime | null]>([
    ["trending bars before the open", "BTC", min(300), "trending"],
    ["ranging bars before the open", "BTC", min(400), "ranging"],
    ["the widest swings in the history", "BTC", min(520), "volatile"],
    ["a window still within 2·L minutes of the open", "BTC", min(520 + 5), "volatile"],
    ["candles that stop more than 2·L minutes before the open", "BTC", min(520 + 6), null],
    ["fewer than L bars before the open", "BTC", min(4), null],
    ["fewer than L covering windows to rank against", "BTC", min(8), null],
    ["a symbol without candles", "ETH", min(300), null],
  ])("%s → %s", (_label, symbol, open, regime) => {
    expect(lookup(symbol, open)).toBe(regime);
  });

  it("ranks once L windows have ended", () => {
    expect(lookup("BTC", min(9))).not.toBeNull();
  });

  it("does not look at the bar in which the trade opens", () => {
    // Bar 400 (the first volatile one) would make the window trend upward; it closes after the open.
    expect(lookup("BTC", min(400) + 30_000)).toBe("ranging");
    expect(lookup("BTC", min(401))).toBe("trending");
  });

  it("ranks the ranging chop as volatile when nothing wilder came before it", () => {
    // Without the first 100 bars the chop at minute 300–399 is the most volatile the symbol has
    // seen; the old whole-history cutoff (set by the later swings) called it ranging.
    const { bucketTsMs, close } = syntheticSeries();
    const late = buildRegimeLookup(new Map([["BTC", { bucketTsMs: bucketTsMs.slice(100), close: close.slice(100) }]]), {
      lookbackBars: 5,
      volatilePercentile: 80,
      trendingEfficiency: 0.3,
    });
    expect(late("BTC", min(400))).toBe("volatile");
  });

  it("matches classifyRegime with the percentile of the windows that ended by then", () => {
    const input = fc.record({
      walk,
      L: fc.integer({ min: 3, max: 12 }),
      pct: fc.integer({ min: 50, max: 100 }),
      // fc.double crowds values near 0; an integer grid spreads the opens over the series.
      opens: fc.array(fc.integer({ min: -50, max: 1100 }).map((x) => x / 1000), { minLength: 5, maxLength: 20 }),
    });
    let compared = 0;
    fc.assert(
      fc.property(input, ({ walk: w, L, pct, opens }) => {
        const { ts, close } = walkSeries(w);
        const span = WINDOW_SPAN_FACTOR * L * MINUTE_MS;
        // Brute force: every covering window's vol, by its last bar.
        const volAt = ts.map((_, e) => (e >= L - 1 && ts[e - L + 1]! >= ts[e]! + MINUTE_MS - span ? trailingVol(close.slice(e - L + 1, e + 1)) : Number.NaN));
        const lk = buildRegimeLookup(new Map([["S", { bucketTsMs: ts, close }]]), { lookbackBars: L, volatilePercentile: pct, trendingEfficiency: 0.3 });
        for (const f of opens) {
          const open = Math.round(ts[0]! + f * (ts.at(-1)! - ts[0]!));
          let e = -1;
          while (e + 1 < ts.length && ts[e + 1]! <= open - MINUTE_MS) e++;
          const s = e - L + 1;
          const history = volAt.slice(0, e + 1).filter(Number.isFinite);
          if (s < 0 || ts[s]! < open - span || history.length < L) {
            expect(lk("S", open)).toBeNull();
            continue;
          }
          const cutoff = percentile(history, pct);
          const win = close.slice(s, e + 1);
          // Prefix sums and direct sums differ in the last bits (~1e-11 on near-flat windows): skip ties at a threshold.
          if (Math.abs(trailingVol(win) - cutoff) < 1e-9 || Math.abs(efficiencyRatio(win) - 0.3) < 1e-9) continue;
          expect(lk("S", open)).toBe(classifyRegime(win, { volatileVol: cutoff, trendingEfficiency: 0.3 }));
          compared++;
        }
      }),
      { numRuns: 200 },
    );
    expect(compared).toBeGreaterThan(150); // the property was checked, not skipped (~300 comparisons a run)
  });
});

describe("no look-ahead", () => {
  const POLICY = { lookbackBars: 5, volatilePercentile: 80, trendingEfficiency: 0.3 };
  /** A closed trade with usable prices; `pnl` null leaves a trade without candles unclassified. */
  const trade = (id: number, symbol: string, openedTsMs: number, closedTsMs: number, pnlPct: number | null): CalibrationTrade => ({
    id,
    symbol,
    side: id % 2 === 0 ? "long" : "short",
    openedTsMs,
    closedTsMs,
    entryPrice: 100.01,
    exitPrice: 99.99,
    signalEntryPrice: 100,
    signalExitPrice: 100,
    pnlPct,
  });
  const tradeSpec = fc.record({
    symbol: fc.constantFrom("S", "T", "NOCANDLES"),
    open: fc.integer({ min: -100, max: 1000 }).map((x) => x / 1000),
    holdMin: fc.integer({ min: 0, max: 600 }),
    pnl: fc.option(fc.double({ min: -5, max: 5, noNaN: true }), { freq: 8 }),
  });

  it("appending later candles and trades never moves an earlier trade's regime", () => {
    fc.assert(
      fc.property(walk, walk, walk, fc.array(tradeSpec, { minLength: 1, maxLength: 40 }), fc.array(tradeSpec, { maxLength: 40 }), (w1, w2, more, before, after) => {
        const s = walkSeries(w1);
        const t = walkSeries(w2, T0, 3000);
        const cut = Math.max(s.ts.at(-1)!, t.ts.at(-1)!) + MINUTE_MS;
        const range = cut - T0;
        const base = before.map((x, i) => {
          const open = Math.round(T0 + x.open * range);
          return trade(i + 1, x.symbol, open, open + x.holdMin * MINUTE_MS, x.pnl);
        });
        // Later data: candles from `cut` on, trades that close at or after `cut` (any open before their close).
        const s2 = walkSeries(more, cut - MINUTE_MS, s.close.at(-1)!);
        const appended = after.map((x, i) => {
          const close = cut + x.holdMin * MINUTE_MS;
          return trade(1000 + i, x.symbol, Math.min(close, Math.round(T0 + x.open * range + range)), close, x.pnl);
        });
        const series = (extra: boolean) =>
          new Map([
            ["S", { bucketTsMs: extra ? [...s.ts, ...s2.ts] : s.ts, close: extra ? [...s.close, ...s2.close] : s.close }],
            ["T", { bucketTsMs: t.ts, close: t.close }],
          ]);
        const earlier = tradeRegimes(base, buildRegimeLookup(series(false), POLICY), POLICY);
        const later = new Map(tradeRegimes([...base, ...appended], buildRegimeLookup(series(true), POLICY), POLICY).map((r) => [r.id, r]));
        for (const r of earlier) {
          const t0 = base[r.id - 1]!;
          if (t0.openedTsMs <= cut) expect(later.get(r.id), `trade ${r.id} opened ${t0.openedTsMs - T0} ms after T0`).toEqual(r);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("ranks a proxy trade's |pnl_pct| only among trades closed before it opened, not itself or later ones", () => {
    const none = () => null;
    const h = 3_600_000;
    // Trade 1 closes before trade 3 opens; trade 2 closes after it. Alone in its pool, trade 1's
    // |pnl| 1 is the cutoff, so trade 3 (|pnl| 2) is volatile; trade 1 itself had an empty pool.
    const trades = [trade(1, "X", 0, h, 1), trade(2, "X", 0, 5 * h, 50), trade(3, "X", 2 * h, 3 * h, 2), trade(4, "X", 6 * h, 7 * h, -10)];
    const regimes = new Map(tradeRegimes(trades, none, POLICY).map((r) => [r.id, r.regime]));
    expect(Object.fromEntries(regimes)).toEqual({ 1: "trending", 3: "volatile", 2: "trending", 4: "ranging" });
    // Trade 4's pool is {1, 2, 3}: |pnl| [1, 2, 50] → p80 rank 1.6 → 2 + 0.6·48 = 30.8 > 10: a loser, ranging.
  });
});
