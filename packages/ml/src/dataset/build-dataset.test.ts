import { describe, expect, it } from "vitest";
import { ConfigError, InputDataError, MINUTE_MS } from "@mlq/core";
import { buildDataset, seriesColumns } from "./build-dataset.js";
import { FEATURE_NAMES, FEATURE_WARMUP_BARS } from "../features/compute-features.js";
import { LABEL_NAMES } from "../labels/compute-labels.js";
import { segmentBounds } from "./segments.js";
import { f64, syntheticSeries } from "./synthetic-candles.test-util.js";

const H = 15;
const OPTS = { horizonBars: H, costFraction: 0.0024 };
/** Rows a gap-free segment of n bars yields: warm-up and label tail dropped. */
const rowsOf = (n: number) => Math.max(0, n - FEATURE_WARMUP_BARS - H);

describe("segmentBounds", () => {
  it.each([
    ["no gap", [0, 1, 2, 3], 5, [0, 4]],
    ["a 5-minute hole is tolerated", [0, 1, 6, 7], 5, [0, 4]],
    ["a 6-minute hole splits", [0, 1, 7, 8], 5, [0, 2, 4]],
    ["every hole splits at maxGap 1", [0, 2, 4], 1, [0, 1, 2, 3]],
    ["empty", [], 5, [0]],
  ])("%s", (_name, minutes, maxGap, expected) => {
    expect(Array.from(segmentBounds(f64(minutes.map((m) => m * MINUTE_MS)), maxGap))).toEqual(expected);
  });
});

describe("buildDataset", () => {
  it("pools symbols (sorted by name) into a row-major matrix ordered by (ts, symbol)", () => {
    const ds = buildDataset([syntheticSeries("ETH", 300, { seed: 2 }), syntheticSeries("BTC", 300, { seed: 1 })], OPTS);
    expect(ds.symbols).toEqual(["BTC", "ETH"]);
    expect(ds.featureNames).toEqual(FEATURE_NAMES);
    expect(ds.labelNames).toEqual(LABEL_NAMES);
    expect(ds.rows).toBe(2 * rowsOf(300));
    expect(ds.X.length).toBe(ds.rows * 11);
    for (const name of LABEL_NAMES) expect(ds.y[name].length).toBe(ds.rows);
    expect(ds.droppedRows).toBe(600 - ds.rows);
    expect(ds.perSymbol).toEqual([
      { symbol: "BTC", candles: 300, rows: rowsOf(300), dropped: 300 - rowsOf(300), segments: 1 },
      { symbol: "ETH", candles: 300, rows: rowsOf(300), dropped: 300 - rowsOf(300), segments: 1 },
    ]);
    // Same timestamps for both: BTC then ETH at each minute.
    expect(Array.from(ds.symbolIndex.slice(0, 4))).toEqual([0, 1, 0, 1]);
    for (let r = 1; r < ds.rows; r++) {
      const order = ds.ts[r]! - ds.ts[r - 1]! || ds.symbolIndex[r]! - ds.symbolIndex[r - 1]!;
      expect(order).toBeGreaterThan(0);
    }
  });

  it("puts each candle's own features and labels in its row, and labelEndTs at bar t+H", () => {
    const eth = syntheticSeries("ETH", 300, { seed: 2 });
    const ds = buildDataset([syntheticSeries("BTC", 300, { seed: 1 }), eth], OPTS);
    const cols = seriesColumns(eth, OPTS);
    const row = 2 * 37 + 1; // ETH's 38th row = candle 100 + 37
    const t = FEATURE_WARMUP_BARS + 37;
    expect(ds.symbolIndex[row]).toBe(1);
    expect(ds.ts[row]).toBe(eth.ts[t]);
    expect(ds.labelEndTs[row]).toBe(eth.ts[t + H]);
    FEATURE_NAMES.forEach((name, j) => expect(ds.X[row * 11 + j]).toBe(cols.features[name][t]));
    for (const name of LABEL_NAMES) expect(ds.y[name][row]).toBe(cols.labels[name][t]);
  });

  it("restarts warm-up after a hole longer than maxGapMinutes, so nothing spans it", () => {
    const gapped = syntheticSeries("BTC", 300, { gaps: { 150: 9 } }); // 10 minutes between bars 149 and 150
    const ds = buildDataset([gapped], OPTS);
    expect(ds.perSymbol[0]!.segments).toBe(2);
    expect(ds.rows).toBe(2 * rowsOf(150));
    // No row's label crosses the hole, no row lies in the second segment's warm-up.
    for (let r = 0; r < ds.rows; r++) {
      const crosses = ds.ts[r]! < gapped.ts[150]! && ds.labelEndTs[r]! >= gapped.ts[150]!;
      expect(crosses).toBe(false);
      expect(ds.ts[r]! >= gapped.ts[150]! && ds.ts[r]! < gapped.ts[150 + FEATURE_WARMUP_BARS]!).toBe(false);
    }
    // A short hole is bridged: features count bars.
    expect(buildDataset([syntheticSeries("BTC", 300, { gaps: { 150: 3 } })], OPTS).rows).toBe(rowsOf(300));
    expect(buildDataset([gapped], { ...OPTS, maxGapMinutes: 10 }).rows).toBe(rowsOf(300));
  });

  it("drops and counts rows with a non-finite feature (a flat stretch has zero range)", () => {
    const s = syntheticSeries("BTC", 300);
    const flatFrom = 200;
    for (const col of [s.open, s.high, s.low, s.close]) col.fill(s.close[flatFrom - 1]!, flatFrom, flatFrom + 25);
    const ds = buildDataset([s], OPTS);
    expect(ds.rows).toBeLessThan(rowsOf(300));
    expect(ds.droppedRows).toBe(300 - ds.rows);
    for (let i = 0; i < ds.X.length; i++) expect(Number.isFinite(ds.X[i]!)).toBe(true);
  });

  it("marks direction 1 exactly when the forward log return beats the cost", () => {
    const ds = buildDataset([syntheticSeries("BTC", 400)], { horizonBars: H, costFraction: 0.001 });
    for (let r = 0; r < ds.rows; r++) expect(ds.y.direction[r]).toBe(ds.y.price[r]! > 0.001 ? 1 : 0);
    expect(ds.y.direction.some((d) => d === 1)).toBe(true);
    expect(ds.y.direction.some((d) => d === 0)).toBe(true);
  });

  it("returns an empty dataset for too few candles", () => {
    const ds = buildDataset([syntheticSeries("BTC", 50)], OPTS);
    expect(ds.rows).toBe(0);
    expect(ds.droppedRows).toBe(50);
  });

  it.each([
    ["ts not increasing", (s: ReturnType<typeof syntheticSeries>) => void (s.ts[10] = s.ts[9]!), /candles for BTC: ts not strictly increasing at index 10/],
    ["non-positive close", (s: ReturnType<typeof syntheticSeries>) => void (s.close[7] = 0), /candles for BTC: close\[7\] is 0 at 2026-01-01T00:07/],
    ["NaN low", (s: ReturnType<typeof syntheticSeries>) => void (s.low[3] = Number.NaN), /candles for BTC: low\[3\] is NaN/],
    ["high below low", (s: ReturnType<typeof syntheticSeries>) => void (s.high[4] = s.low[4]! / 2), /candles for BTC: high < low at index 4/],
  ])("rejects bad candles (%s) with a one-line InputDataError", (_name, corrupt, message) => {
    const s = syntheticSeries("BTC", 200);
    corrupt(s);
    expect(() => buildDataset([s], OPTS)).toThrow(InputDataError);
    expect(() => buildDataset([s], OPTS)).toThrow(message);
  });

  it("rejects mismatched columns, duplicated symbols and a horizon below 2", () => {
    const s = syntheticSeries("BTC", 200);
    expect(() => buildDataset([{ ...s, volume: s.volume.subarray(1) }], OPTS)).toThrow(/column volume has 199 values, ts has 200/);
    expect(() => buildDataset([s, syntheticSeries("BTC", 10)], OPTS)).toThrow(/BTC were given twice/);
    expect(() => buildDataset([s], { ...OPTS, horizonBars: 1 })).toThrow(ConfigError);
  });

  it("stops between symbols when the signal fires", () => {
    const ac = new AbortController();
    ac.abort(new Error("timeout"));
    expect(() => buildDataset([syntheticSeries("BTC", 200)], { ...OPTS, signal: ac.signal })).toThrow(/timeout/);
  });
});
