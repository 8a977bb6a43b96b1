import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MINUTE_MS } from "@mlq/core";
import { computeFeatures, FEATURE_NAMES, FEATURE_WARMUP_BARS } from "./compute-features.js";
import { seriesColumns } from "../dataset/build-dataset.js";
import type { CandleSeries } from "@mlq/market-data";
import { sameValues, syntheticSeries } from "../dataset/synthetic-candles.test-util.js";

describe("computeFeatures", () => {
  it("returns the 11 features in the documented order", () => {
    expect(FEATURE_NAMES).toEqual([
      "ret_1",
      "ret_5",
      "ret_15",
      "ret_60",
      "rv_20",
      "vol_ratio",
      "rsi_14",
      "macd_hist",
      "bb_pctb",
      "atr_14",
      "range_pos_20",
    ]);
    expect(Object.keys(computeFeatures(syntheticSeries("X", 5)))).toEqual(FEATURE_NAMES);
  });

  it("defines every feature from bar 100 (vol ratio's window) and not before", () => {
    const f = computeFeatures(syntheticSeries("X", 130));
    for (const name of FEATURE_NAMES) expect(Number.isFinite(f[name][FEATURE_WARMUP_BARS]), name).toBe(true);
    expect(f.vol_ratio[FEATURE_WARMUP_BARS - 1]).toBeNaN();
    expect(f.ret_60[59]).toBeNaN();
    expect(f.ret_60[60]).toBeCloseTo(Math.log(syntheticSeries("X", 130).close[60]! / syntheticSeries("X", 130).close[0]!), 12);
  });
});

/** A random walk with holes between bars: mostly none, sometimes short, rarely long enough to split a segment. */
const seriesArb = fc
  .record({
    steps: fc.array(fc.double({ min: -0.01, max: 0.01, noNaN: true }), { minLength: 120, maxLength: 220 }),
    spread: fc.array(fc.double({ min: 0, max: 0.004, noNaN: true }), { minLength: 220, maxLength: 220 }),
    gaps: fc.array(
      fc.oneof({ weight: 60, arbitrary: fc.constant(0) }, { weight: 5, arbitrary: fc.constant(2) }, { weight: 1, arbitrary: fc.constant(8) }),
      { minLength: 220, maxLength: 220 },
    ),
  })
  .map(({ steps, spread, gaps }) => buildSeries(steps, spread, gaps));

function buildSeries(steps: number[], spread: number[], gaps: number[]): CandleSeries {
  const n = steps.length;
  const s = {
    symbol: "P",
    ts: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n).fill(1),
    ticks: new Int32Array(n).fill(1),
  };
  let price = 100;
  let ts = 0;
  for (let i = 0; i < n; i++) {
    ts += (1 + gaps[i]!) * MINUTE_MS;
    const prev = price;
    price *= Math.exp(steps[i]!);
    s.ts[i] = ts;
    s.open[i] = prev;
    s.close[i] = price;
    s.high[i] = Math.max(prev, price) * (1 + spread[i]!);
    s.low[i] = Math.min(prev, price) * (1 - spread[i]!);
  }
  return s;
}

/** Replaces bars in [from, to) with a different walk (and different holes), keeping ts increasing. */
function perturb(s: CandleSeries, from: number, to: number, seed: number): CandleSeries {
  const c = {
    symbol: s.symbol,
    ts: s.ts.slice(),
    open: s.open.slice(),
    high: s.high.slice(),
    low: s.low.slice(),
    close: s.close.slice(),
    volume: s.volume.slice(),
    ticks: s.ticks.slice(),
  };
  for (let i = from; i < to; i++) {
    const k = ((seed + i) * 2654435761) % 97;
    c.close[i] = 50 + k;
    c.open[i] = 50 + ((k * 7) % 97);
    c.high[i] = Math.max(c.open[i]!, c.close[i]!) + 1;
    c.low[i] = Math.min(c.open[i]!, c.close[i]!) - 1;
  }
  // Shift the timestamps of the changed bars and everything after them by a random hole.
  const shift = (seed % 3) * 7 * MINUTE_MS;
  if (from > 0) for (let i = from; i < c.ts.length; i++) c.ts[i]! += shift;
  return c;
}

const OPTS = { horizonBars: 15, costFraction: 0.0024, maxGapMinutes: 5 };

describe("no look-ahead", () => {
  it("no feature at bar t changes when bars after t change (including new holes after t)", () => {
    fc.assert(
      fc.property(seriesArb, fc.nat(), fc.nat(), (s, tRaw, seed) => {
        const t = tRaw % s.ts.length;
        const before = seriesColumns(s, OPTS).features;
        const after = seriesColumns(perturb(s, t + 1, s.ts.length, seed), OPTS).features;
        for (const name of FEATURE_NAMES) expect(sameValues(before[name], after[name], 0, t + 1), `${name} up to ${t}`).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("labels at bar t depend only on bars t..t+H", () => {
    fc.assert(
      fc.property(seriesArb, fc.nat(), fc.nat(), (s, tRaw, seed) => {
        const n = s.ts.length;
        const t = tRaw % n;
        const end = Math.min(n, t + OPTS.horizonBars + 1);
        const base = seriesColumns(s, OPTS).labels;
        // Prices before t change (timestamps kept: they may not pass bar t), and everything after t+H changes.
        const changed = perturb(perturb(s, end, n, seed), 0, t, seed + 1);
        const other = seriesColumns(changed, OPTS).labels;
        for (const name of Object.keys(base) as (keyof typeof base)[])
          expect(Object.is(base[name][t], other[name][t]), `${name} at ${t}`).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("the property is not vacuous: most bars of a 220-bar gap-free walk have finite features and labels", () => {
    const cols = seriesColumns(syntheticSeries("X", 220), OPTS);
    let finite = 0;
    for (let t = 0; t < 220; t++) if (FEATURE_NAMES.every((n) => Number.isFinite(cols.features[n][t])) && Number.isFinite(cols.labels.price[t])) finite++;
    expect(finite).toBe(220 - FEATURE_WARMUP_BARS - OPTS.horizonBars);
  });
});
