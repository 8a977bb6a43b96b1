import { describe, expect, it } from "vitest";
import { InputDataError } from "@mlq/core";
import { FEATURE_NAMES, FEATURE_WARMUP_BARS } from "../features/compute-features.js";
import { buildDataset, buildFeatureRows } from "./build-dataset.js";
import { syntheticSeries } from "./synthetic-candles.test-util.js";

const H = 15;
const OPTS = { horizonBars: H, costFraction: 0.0024 };
const NF = FEATURE_NAMES.length;

/** Three symbols with different lengths, a long hole (new segment) and a short one (bridged). */
function market() {
  return [
    syntheticSeries("SOL", 700, { seed: 3, gaps: { 400: 30 } }),
    syntheticSeries("BTC", 900, { seed: 1, gaps: { 250: 3 } }),
    syntheticSeries("ETH", 640, { seed: 2, startTs: Date.UTC(2026, 0, 1, 0, 7) }),
  ];
}

describe("buildFeatureRows", () => {
  it("gives every training row bit-identical feature values (Object.is on each Float64)", () => {
    const series = market();
    const ds = buildDataset(series, OPTS);
    const fr = buildFeatureRows(series);
    expect(fr.symbols).toEqual(ds.symbols);
    expect(fr.featureNames).toEqual(ds.featureNames);
    const byKey = new Map<string, number>();
    for (let r = 0; r < fr.rows; r++) byKey.set(`${fr.symbolIndex[r]}@${fr.ts[r]}`, r);
    let compared = 0;
    for (let r = 0; r < ds.rows; r++) {
      const f = byKey.get(`${ds.symbolIndex[r]}@${ds.ts[r]}`);
      expect(f, `dataset row ${r} has a feature row`).toBeDefined();
      for (let j = 0; j < NF; j++) {
        if (!Object.is(fr.X[f! * NF + j], ds.X[r * NF + j])) throw new Error(`row ${r} feature ${FEATURE_NAMES[j]} differs`);
        compared++;
      }
    }
    expect(compared).toBe(ds.rows * NF);
  });

  it("keeps the last H bars of each segment that the dataset drops for lack of labels", () => {
    const series = market();
    const ds = buildDataset(series, OPTS);
    const fr = buildFeatureRows(series);
    // SOL: two segments (700 bars split at 400) each lose H label bars; BTC and ETH one segment each.
    expect(fr.rows - ds.rows).toBe(4 * H);
    fr.perSymbol.forEach((p, k) => {
      const d = ds.perSymbol[k]!;
      expect(p.segments).toBe(d.segments);
      expect(p.rows - d.rows).toBe(d.segments * H);
      expect(p.rows).toBe(p.candles - p.segments * FEATURE_WARMUP_BARS);
    });
    // The newest bar of every symbol is scored.
    const btc = series[1]!;
    const last = Array.from(fr.symbolIndex).lastIndexOf(0);
    expect(fr.ts[last]).toBe(btc.ts[btc.ts.length - 1]);
    expect(fr.candleIndex[last]).toBe(btc.ts.length - 1);
    // Pooled like training: ordered by (ts, symbol).
    for (let r = 1; r < fr.rows; r++) expect(fr.ts[r]! - fr.ts[r - 1]! || fr.symbolIndex[r]! - fr.symbolIndex[r - 1]!).toBeGreaterThan(0);
  });

  it("returns only bars from fromMs on, with the values the whole series gives", () => {
    const series = market();
    const all = buildFeatureRows(series);
    const fromMs = Date.UTC(2026, 0, 1, 10, 0);
    const tail = buildFeatureRows(series, { fromMs });
    const first = all.ts.findIndex((t) => t >= fromMs);
    expect(tail.rows).toBe(all.rows - first);
    expect(Array.from(tail.X)).toEqual(Array.from(all.X.subarray(first * NF)));
    expect(Array.from(tail.candleIndex)).toEqual(Array.from(all.candleIndex.subarray(first)));
    for (const p of tail.perSymbol) expect(p.candles).toBeLessThan(900);
  });

  it("drops and counts bars with a non-finite feature and rejects bad candles like buildDataset", () => {
    const s = syntheticSeries("BTC", 300);
    const fr = buildFeatureRows([s]);
    expect(fr.rows).toBe(300 - FEATURE_WARMUP_BARS);
    expect(fr.droppedRows).toBe(FEATURE_WARMUP_BARS);
    for (let i = 0; i < fr.X.length; i++) expect(Number.isFinite(fr.X[i]!)).toBe(true);
    s.close[7] = 0;
    expect(() => buildFeatureRows([s])).toThrow(InputDataError);
    expect(() => buildFeatureRows([syntheticSeries("A", 10), syntheticSeries("A", 10)])).toThrow(/A were given twice/);
  });
});
