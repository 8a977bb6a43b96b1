import { createRng } from "@mlq/core";
import { describe, expect, it } from "vitest";
import { calibrateDriftRule, driftTriggered, featuresOverThreshold, rollingWindowPsi } from "./drift-rule.js";
import { binShares, decileEdges, psi } from "./psi.js";

/**
 * `features` hourly series, each a stationary AR(1) (φ = 0.9, unit variance) mixing a common factor
 * (weight 0.6) with its own (0.8), continued for `hours`, plus `shift` on the first `shifted` features.
 * Each series starts from its stationary distribution.
 */
function ar1Features(seed: number, hours: number, features = 5, shift = 0, shifted = features): number[][] {
  const phi = 0.9;
  const rng = createRng(seed, "ar1");
  const noise = Math.sqrt(1 - phi * phi);
  let common = rng.normal();
  const own = Array.from({ length: features }, () => rng.normal());
  const cols = Array.from({ length: features }, () => [] as number[]);
  for (let t = 0; t < hours; t++) {
    common = phi * common + noise * rng.normal();
    for (let f = 0; f < features; f++) {
      own[f] = phi * own[f]! + noise * rng.normal();
      cols[f]!.push(0.6 * common + 0.8 * own[f]! + (f < shifted ? shift : 0));
    }
  }
  return cols;
}

/** windows × features PSI matrix of `cols` against the reference `refCols`, 24-hour windows stepped hourly. */
function windowPsis(refCols: number[][], cols: number[][]): number[][] {
  const perFeature = cols.map((c, f) => rollingWindowPsi(refCols[f]!, c, 24, 1));
  return perFeature[0]!.map((_, w) => perFeature.map((p) => p[w]!));
}

function triggerRate(psis: number[][], thresholds: number[], k: number): number {
  return psis.filter((w) => driftTriggered(w, thresholds, k)).length / psis.length;
}

describe("rollingWindowPsi", () => {
  it("gives the PSI of each whole window against the reference deciles", () => {
    const reference = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const series = [1, 1, 1, 10, 10, 10, 5];
    const out = rollingWindowPsi(reference, series, 3, 2); // windows [0,3) [2,5) [4,7)
    expect(out).toHaveLength(3);
    const edges = decileEdges(reference);
    const expected = binShares(reference, edges);
    expect(out[0]).toBeCloseTo(psi(expected, binShares([1, 1, 1], edges)), 12);
    expect(out[2]).toBeCloseTo(psi(expected, binShares([10, 10, 5], edges)), 12);
    // numpy: E = 0.1 each, A = [1/3, 0, …, 0, 2/3] (value 1 in bin 0, value 10 in bin 9), ε = 1e-4
    expect(out[1]).toBeCloseTo(6.875445406684813, 10);
    expect(() => rollingWindowPsi(reference, series, 0, 1)).toThrow(/windowLen 0/);
  });
});

describe("calibrateDriftRule", () => {
  it("known answer: per-feature quantile thresholds and the whole rule's trigger rate", () => {
    // 4 windows × 2 features; quantile 0.5 → medians 2.5 and 25 (numpy linear)
    const windows = [
      [1, 40],
      [2, 10],
      [3, 20],
      [4, 30],
    ];
    const one = calibrateDriftRule(windows, { minFeatures: 1, quantile: 0.5, minWindows: 4 });
    expect(one).toEqual({ status: "calibrated", thresholds: [2.5, 25], falseTriggerRate: 0.75, windows: 4 });
    const both = calibrateDriftRule(windows, { minFeatures: 2, quantile: 0.5, minWindows: 4 });
    expect(both).toMatchObject({ falseTriggerRate: 0.25 }); // only [4, 30]
    expect(featuresOverThreshold([4, 30], [2.5, 25])).toBe(2);
    expect(featuresOverThreshold([2.5, 25], [2.5, 25])).toBe(0); // strictly above
  });

  it("reports no baseline with fewer windows than the minimum", () => {
    expect(calibrateDriftRule([[0.1], [0.2]], { minFeatures: 1, quantile: 0.99 })).toEqual({ status: "no baseline", windows: 2 });
    expect(calibrateDriftRule(Array(47).fill([0.1]), { minFeatures: 1, quantile: 0.99 })).toMatchObject({ status: "no baseline" });
    expect(calibrateDriftRule(Array(48).fill([0.1]), { minFeatures: 1, quantile: 0.99 })).toMatchObject({ status: "calibrated" });
  });

  it("on a stationary AR(1) process rarely fires on fresh data, and fires on a shifted series", () => {
    // Measured (seeds 1–5, 60 training days, 30 fresh days, 24-hour windows stepped hourly): training
    // false-trigger rate 0 for k = 3 (0.040–0.049 for k = 1); thresholds 5.1–8.3 (a 24-hour window of so
    // persistent a series covers few deciles); fresh stationary trigger rate 0; 3 of 5 features shifted
    // by 3 σ: 0.56–0.97 (mean 0.85). A fixed 0.25 threshold fires on every stationary window (rate 1).
    const k = 3;
    let freshRate = 0;
    let shiftedRate = 0;
    const seeds = [1, 2, 3, 4, 5];
    for (const seed of seeds) {
      const train = ar1Features(seed, 60 * 24);
      const trainPsis = windowPsis(train, train);
      const cal = calibrateDriftRule(trainPsis, { minFeatures: k, quantile: 0.99 });
      if (cal.status !== "calibrated") throw new Error("expected a baseline");
      expect(cal.windows).toBe(60 * 24 - 23);
      expect(cal.falseTriggerRate).toBeLessThanOrEqual(0.01);
      const any = calibrateDriftRule(trainPsis, { minFeatures: 1, quantile: 0.99 });
      if (any.status !== "calibrated") throw new Error("expected a baseline");
      expect(any.falseTriggerRate).toBeGreaterThanOrEqual(0.01); // each feature alone exceeds ~1 %
      expect(any.falseTriggerRate).toBeLessThanOrEqual(0.06);
      const fresh = windowPsis(train, ar1Features(seed + 1000, 30 * 24));
      const shifted = windowPsis(train, ar1Features(seed + 1000, 30 * 24, 5, 3, 3));
      expect(triggerRate(fresh, Array(5).fill(0.25), k)).toBeGreaterThan(0.9);
      freshRate += triggerRate(fresh, cal.thresholds, k) / seeds.length;
      shiftedRate += triggerRate(shifted, cal.thresholds, k) / seeds.length;
    }
    expect(freshRate).toBeLessThan(0.02);
    expect(shiftedRate).toBeGreaterThan(0.6);
  });
});
