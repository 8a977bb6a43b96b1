import { createRng, HOUR_MS, MINUTE_MS } from "@mlq/core";
import { describe, expect, it } from "vitest";
import { featureDriftBaseline, predictionBaseline, referenceBins, windowEnds, windowPsis } from "./baseline.js";
import { calibrateDriftRule } from "./drift-rule.js";
import { binShares, decileEdges, psi } from "./psi.js";

const T0 = Date.UTC(2026, 0, 1);

/** One-minute bars with holes: `minutes` bars, a bar skipped with probability `holes`. */
function minuteTs(seed: number, minutes: number, holes = 0.1, start = T0): Float64Array {
  const rng = createRng(seed, "ts");
  const ts: number[] = [];
  for (let m = 0; m < minutes; m++) if (rng.next() >= holes) ts.push(start + m * MINUTE_MS);
  return Float64Array.from(ts);
}

/** A persistent AR(1) column (φ per minute), as rolling features are. */
function ar1(seed: number, n: number, phi = 0.995, shift = 0): Float64Array {
  const rng = createRng(seed, "ar1");
  const out = new Float64Array(n);
  let x = rng.normal();
  for (let i = 0; i < n; i++) {
    x = phi * x + Math.sqrt(1 - phi * phi) * rng.normal();
    out[i] = x + shift;
  }
  return out;
}

describe("windowEnds", () => {
  it("puts the ends on the UTC hour grid with a whole window after the first bar and the last bar closed", () => {
    // first bar 00:37 → first end 24 h later, rounded up to the hour: day 2 01:00
    // last bar day 3 05:59 closes at 06:00 → last end 06:00
    const ends = windowEnds(T0 + 37 * MINUTE_MS, T0 + 2 * 86_400_000 + 5 * HOUR_MS + 59 * MINUTE_MS, 24 * HOUR_MS);
    expect(ends[0]).toBe(T0 + 86_400_000 + HOUR_MS);
    expect(ends.at(-1)).toBe(T0 + 2 * 86_400_000 + 6 * HOUR_MS);
    expect(ends).toHaveLength(30);
    expect(windowEnds(T0, T0 + 10 * HOUR_MS, 24 * HOUR_MS)).toEqual([]);
  });
});

describe("windowPsis", () => {
  it("equals binShares + psi on each window's values, bit for bit, and skips thin or out-of-span windows", () => {
    const ts = minuteTs(1, 3 * 24 * 60, 0.3);
    const cols = [ar1(2, ts.length), ar1(3, ts.length, 0.9)];
    const bins = cols.map((c) => referenceBins(c));
    const ends = windowEnds(ts[0]!, ts.at(-1)!, 6 * HOUR_MS);
    // One extra end before the data and one after: both outside the span.
    const all = [ends[0]! - 2 * HOUR_MS, ...ends, ends.at(-1)! + 2 * HOUR_MS];
    const got = windowPsis(ts, cols, bins, all, { windowMs: 6 * HOUR_MS, minBars: 60 });
    expect(got[0]).toBeNull();
    expect(got.at(-1)).toBeNull();
    let compared = 0;
    all.forEach((end, w) => {
      if (got[w] === null) return;
      cols.forEach((col, c) => {
        const window = Array.from(col).filter((_, i) => ts[i]! >= end - 6 * HOUR_MS && ts[i]! < end);
        expect(Object.is(got[w]![c], psi(bins[c]!.shares, binShares(window, bins[c]!.edges)))).toBe(true);
        compared++;
      });
    });
    expect(compared).toBe(2 * ends.length);
    // A window with fewer bars than minBars is not scored.
    expect(windowPsis(ts, cols, bins, ends, { windowMs: 6 * HOUR_MS, minBars: 6 * 60 }).every((p) => p === null)).toBe(true);
  });

  it("gives 0 for a window whose shares match the reference exactly", () => {
    const ts = Float64Array.from({ length: 20 }, (_, i) => T0 + i * MINUTE_MS);
    const col = Float64Array.from({ length: 20 }, (_, i) => i % 10);
    const [p] = windowPsis(ts, [col], [referenceBins(col)], [T0 + 20 * MINUTE_MS], { windowMs: 20 * MINUTE_MS, minBars: 1 });
    expect(p).toEqual([0]);
  });
});

describe("featureDriftBaseline", () => {
  function pooled(days: number, symbols: number, features: number) {
    const perSymbol = Array.from({ length: symbols }, (_, k) => {
      const ts = minuteTs(10 + k, days * 24 * 60, 0.05);
      return { ts, cols: Array.from({ length: features }, (_, f) => ar1(100 * k + f, ts.length)) };
    });
    // Pool by (ts, symbol) like the dataset.
    const rows: { ts: number; k: number; i: number }[] = [];
    perSymbol.forEach((s, k) => s.ts.forEach((t, i) => rows.push({ ts: t, k, i })));
    rows.sort((a, b) => a.ts - b.ts || a.k - b.k);
    const X = new Float64Array(rows.length * features);
    rows.forEach((r, j) => perSymbol[r.k]!.cols.forEach((c, f) => (X[j * features + f] = c[r.i]!)));
    return {
      featureNames: Array.from({ length: features }, (_, f) => `f${f}`),
      symbols: Array.from({ length: symbols }, (_, k) => `S${k}`),
      X,
      ts: Float64Array.from(rows, (r) => r.ts),
      symbolIndex: Int32Array.from(rows, (r) => r.k),
      rows: Int32Array.from(rows, (_, j) => j),
      perSymbol,
    };
  }

  it("stores per-symbol decile bins and calibrates the whole rule per symbol on hourly-stepped windows", () => {
    const input = pooled(6, 2, 4);
    const base = featureDriftBaseline(input, { windowMs: 24 * HOUR_MS, minFeatures: 2, thresholdQuantile: 0.99 });
    expect(base.status).toBe("calibrated");
    expect(base.fromMs).toBe(input.ts[0]);
    expect(base.symbols.map((s) => s.symbol)).toEqual(["S0", "S1"]);
    base.symbols.forEach((s, k) => {
      const own = input.perSymbol[k]!;
      expect(s.rows).toBe(own.ts.length);
      s.bins.forEach((b, f) => {
        expect(b.edges).toEqual(decileEdges(own.cols[f]!));
        expect(b.shares).toEqual(binShares(own.cols[f]!, b.edges));
      });
      // The calibration is calibrateDriftRule on the symbol's scored windows.
      const ends = windowEnds(base.fromMs, base.toMs, 24 * HOUR_MS);
      const psis = windowPsis(own.ts, own.cols, s.bins, ends, { windowMs: 24 * HOUR_MS }).filter((p) => p !== null);
      expect(s.calibration).toEqual(calibrateDriftRule(psis as number[][], { minFeatures: 2, quantile: 0.99 }));
      expect(s.calibration.windows).toBeGreaterThanOrEqual(5 * 24 - 1);
    });
    // "Any symbol fires" happens at least as often as each symbol's own rule, and at most their sum.
    const rates = base.symbols.map((s) => (s.calibration.status === "calibrated" ? s.calibration.falseTriggerRate : 0));
    expect(base.falseTriggerRate!).toBeGreaterThanOrEqual(Math.max(...rates) - 0.01);
    expect(base.falseTriggerRate!).toBeLessThanOrEqual(rates[0]! + rates[1]! + 0.01);
    expect(base.falseTriggerRate!).toBeLessThan(0.05);
    expect(base.falseTriggerEndsMs).toHaveLength(Math.round(base.falseTriggerRate! * base.windows));
    expect(base.falseTriggerEndsMs.every((e) => e % HOUR_MS === 0 && e > base.fromMs && e <= base.toMs + MINUTE_MS)).toBe(true);
  });

  it("reports no baseline with too few training days, and for a symbol without reference rows", () => {
    const short = pooled(2, 1, 3); // 2 days → 25 windows of 24 h < 48
    const none = featureDriftBaseline(short, { windowMs: 24 * HOUR_MS, minFeatures: 1, thresholdQuantile: 0.99 });
    expect(none).toMatchObject({ status: "no baseline", falseTriggerRate: null, falseTriggerEndsMs: [], windows: 0 });
    expect(none.symbols[0]!.calibration).toEqual({ status: "no baseline", windows: 25 });
    expect(none.symbols[0]!.bins).toHaveLength(3); // the bins are stored anyway

    const input = pooled(4, 1, 3);
    const absent = featureDriftBaseline(
      { ...input, symbols: ["S0", "GONE"] },
      { windowMs: 24 * HOUR_MS, minFeatures: 1, thresholdQuantile: 0.99 },
    );
    expect(absent.status).toBe("calibrated");
    expect(absent.symbols[1]).toEqual({ symbol: "GONE", rows: 0, bins: [], calibration: { status: "no baseline", windows: 0 } });
  });
});

describe("predictionBaseline", () => {
  it("gives the decile bins of the pooled probabilities and of each symbol's", () => {
    const rng = createRng(7, "p");
    const p = Float64Array.from({ length: 500 }, () => rng.next());
    const sym = Int32Array.from({ length: 500 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const base = predictionBaseline(p, sym, ["A", "B", "C"]);
    expect(base.pooled).toEqual({ rows: 500, edges: decileEdges(p), shares: binShares(p, decileEdges(p)) });
    expect(base.perSymbol.map((s) => [s.symbol, s.rows])).toEqual([
      ["A", 400],
      ["B", 100],
    ]);
    const b = Array.from(p).filter((_, i) => i % 5 === 0);
    expect(base.perSymbol[1]!.edges).toEqual(decileEdges(b));
  });
});
