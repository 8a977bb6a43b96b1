import { HOUR_MS, MINUTE_MS } from "@mlq/core";
import type { ManifestDriftBaseline } from "@mlq/registry";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DRIFT_FEATURE_SCALE, driftFeatureView } from "./drift-view.js";
import { decideDriftRetrain, driftWindow, scoreVersionDrift, type DriftRows, type VersionDriftScore } from "./monitor-drift.js";
import { calibrateDriftRule } from "./drift-rule.js";
import { psi } from "./psi.js";

const E = Date.UTC(2026, 2, 1, 12); // a whole hour
const EDGES = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const UNIFORM = Array.from({ length: 10 }, () => 0.1);
const FEATURES = ["a", "b", "c"];

function baseline(overrides: Partial<ManifestDriftBaseline> = {}, thresholds: (number | null)[] = [0.5, 0.5, 0.5]): ManifestDriftBaseline {
  const features = Object.fromEntries(FEATURES.map((f, i) => [f, { edges: EDGES, shares: UNIFORM, threshold: thresholds[i]! }]));
  return {
    method: "psi-deciles",
    epsilon: 1e-4,
    window_hours: 2,
    step_hours: 1,
    min_bars: 10,
    min_features: 2,
    threshold_quantile: 0.99,
    reference: { split: "train", from_ms: 0, to_ms: 1 },
    status: "calibrated",
    windows: 100,
    false_trigger_rate: 0.01,
    false_trigger_ends_ms: [],
    symbols: {
      AAA: { rows: 1000, status: "calibrated", windows: 100, false_trigger_rate: 0.01, features },
      OLD: { rows: 1000, status: "calibrated", windows: 100, false_trigger_rate: 0.01, features },
      THIN: { rows: 10, status: "no baseline", windows: 3, false_trigger_rate: null, features },
    },
    prediction: { model: "direction", split: "test", rows: 100, edges: EDGES.map((e) => e / 10), shares: UNIFORM, symbols: {} },
    ...overrides,
  };
}

/** `n` one-minute rows per symbol ending at E, columns from `value(symbol, feature index, i)`. */
function rowsOf(symbols: string[], n: number, value: (s: string, c: number, i: number) => number): DriftRows {
  const X: number[] = [];
  const ts: number[] = [];
  const symbolIndex: number[] = [];
  for (let i = 0; i < n; i++)
    symbols.forEach((s, k) => {
      ts.push(E - (n - i) * MINUTE_MS);
      symbolIndex.push(k);
      FEATURES.forEach((_, c) => X.push(value(s, c, i)));
    });
  return { featureNames: FEATURES, symbols, X, ts, symbolIndex };
}

describe("driftWindow", () => {
  it("ends at the last whole step at or before the run and spans window_hours", () => {
    expect(driftWindow({ window_hours: 24, step_hours: 1 }, E + 5 * MINUTE_MS)).toEqual({ fromMs: E - 24 * HOUR_MS, toMs: E });
    expect(driftWindow({ window_hours: 24, step_hours: 1 }, E)).toEqual({ fromMs: E - 24 * HOUR_MS, toMs: E });
  });
});

describe("scoreVersionDrift", () => {
  it("known answer: PSI of each feature against the manifest's bins, the thresholds and the rule", () => {
    // AAA: a and b all in the top bin (value 9.5), c uniform over the 10 bins (0.5, 1.5, …, 9.5).
    const rows = rowsOf(["AAA"], 60, (_s, c, i) => (c < 2 ? 9.5 : (i % 10) + 0.5));
    const got = scoreVersionDrift("7", baseline(), rows, { nowMs: E + 5 * MINUTE_MS });
    const allTop = psi(UNIFORM, [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    // ε-smoothed: e' = 0.1 (each), a' = (0 + ε)/(1 + 10ε) for nine bins, (1 + ε)/(1 + 10ε) for one.
    const eps = 1e-4;
    const a0 = eps / (1 + 10 * eps);
    const a9 = (1 + eps) / (1 + 10 * eps);
    expect(allTop).toBeCloseTo(9 * (a0 - 0.1) * Math.log(a0 / 0.1) + (a9 - 0.1) * Math.log(a9 / 0.1), 12);
    const aaa = got.symbols.find((s) => s.symbol === "AAA")!;
    expect(aaa).toMatchObject({ status: "scored", bars: 60, featuresOver: 2, triggered: true });
    expect(aaa.features.map((f) => [f.feature, f.psi, f.threshold, f.over])).toEqual([
      ["a", allTop, 0.5, true],
      ["b", allTop, 0.5, true],
      ["c", 0, 0.5, false],
    ]);
    expect(got).toMatchObject({ status: "scored", triggered: true, windowFromMs: E - 2 * HOUR_MS, windowToMs: E, minFeatures: 2 });
    expect(got.reason).toContain("drift on AAA (2 of 3 features over their thresholds: a 8.28 > 0.50, b 8.28 > 0.50)");
  });

  it("does not fire below k features, nor on a feature exactly at its threshold", () => {
    const rows = rowsOf(["AAA"], 60, (_s, c, i) => (c === 0 ? 9.5 : (i % 10) + 0.5));
    const once = scoreVersionDrift("7", baseline(), rows, { nowMs: E });
    const p = once.symbols.find((s) => s.symbol === "AAA")!.features[0]!.psi;
    expect(once.triggered).toBe(false);
    const atThreshold = scoreVersionDrift("7", baseline({ min_features: 1 }, [p, 0.5, 0.5]), rows, { nowMs: E });
    expect(atThreshold.triggered).toBe(false);
  });

  it("reports an older manifest without a baseline as 'no baseline', not an error", () => {
    const got = scoreVersionDrift(
      "3",
      null,
      rowsOf(["AAA"], 60, () => 1),
      { nowMs: E },
    );
    expect(got).toMatchObject({ status: "no baseline", triggered: false, symbols: [] });
    expect(got.reason).toBe("version 3: no baseline (its manifest predates drift baselines)");
  });

  it("marks a symbol absent from training, an empty window and an uncalibrated symbol, and never fires on them", () => {
    const rows = rowsOf(["AAA", "NEW", "THIN"], 60, () => 9.5);
    // OLD was trained on but has no bars now; AAA only 5 bars inside the window (min 10).
    const sparse = {
      ...rows,
      ts: Array.from(rows.ts, (t, r) => (rows.symbolIndex[r] === 0 && t < E - 5 * MINUTE_MS ? t - 3 * HOUR_MS : t)),
    };
    const got = scoreVersionDrift("7", baseline({ min_features: 1 }), sparse, { nowMs: E });
    const by = Object.fromEntries(got.symbols.map((s) => [s.symbol, s]));
    expect(by.AAA).toMatchObject({ status: "empty window", bars: 5, features: [], triggered: false });
    expect(by.OLD).toMatchObject({ status: "empty window", bars: 0, triggered: false });
    expect(by.NEW).toMatchObject({ status: "not in training", bars: 60, features: [], triggered: false });
    expect(by.THIN).toMatchObject({ status: "no baseline", bars: 60, featuresOver: 3, triggered: false });
    expect(got).toMatchObject({ status: "no baseline", triggered: false });
    expect(got.reason).toContain(
      "not scored: AAA (empty window, 5 bars), NEW (not in training), OLD (empty window, 0 bars), THIN (no baseline)",
    );
  });

  it("with no rows at all scores nothing (empty window everywhere)", () => {
    const got = scoreVersionDrift("7", baseline(), { featureNames: FEATURES, symbols: [], X: [], ts: [], symbolIndex: [] }, { nowMs: E });
    expect(got.symbols.map((s) => s.status)).toEqual(["empty window", "empty window", "empty window"]);
    expect(got.triggered).toBe(false);
  });

  it("computes the prediction PSI from the direction probabilities against the test-split deciles", () => {
    const rows = rowsOf(["AAA"], 60, () => 5.5);
    const got = scoreVersionDrift("7", baseline(), rows, {
      nowMs: E,
      predictions: Array.from({ length: 60 }, (_, i) => (i % 10) / 10 + 0.05),
    });
    expect(got.symbols.find((s) => s.symbol === "AAA")!.predictionPsi).toBe(0);
  });

  it("bins the drift view when the baseline was built on it", () => {
    const names = ["ret_1", "rv_20", "vol_ratio"];
    const X = [0.002, 0.004, 2]; // σ100 = 0.004 / 2 = 0.002 → ret_1 / σ100 = 1
    expect(Array.from(driftFeatureView(names, X))).toEqual([1, 0.004, 2]);
    const features = Object.fromEntries(
      names.map((f) => [f, { edges: [0.5, 1.5, 2.5, 3, 4, 5, 6, 7, 8], shares: UNIFORM, threshold: 0.5 }]),
    );
    const b = baseline({
      feature_scale: DRIFT_FEATURE_SCALE,
      min_features: 1,
      symbols: { AAA: { rows: 9, status: "calibrated", windows: 99, false_trigger_rate: 0, features } },
    });
    const rows: DriftRows = {
      featureNames: names,
      symbols: ["AAA"],
      X: Array.from({ length: 20 }, () => X).flat(),
      ts: Array.from({ length: 20 }, (_, i) => E - (20 - i) * MINUTE_MS),
      symbolIndex: Array.from({ length: 20 }, () => 0),
    };
    const ret1 = scoreVersionDrift("7", b, rows, { nowMs: E }).symbols[0]!.features[0]!;
    // All in bin 1 ([0.5, 1.5)): the viewed value 1, not the raw 0.002 (bin 0).
    expect(ret1.psi).toBeCloseTo(psi(UNIFORM, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), 12);
    expect(() => scoreVersionDrift("7", baseline({ feature_scale: "zscore" }), rows, { nowMs: E })).toThrow(/feature scale zscore/);
  });

  it("is 0 on a window identical to the reference and grows when one feature's values shift (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), (shift) => {
        const rows = rowsOf(["AAA"], 100, (_s, c, i) => (i % 10) + 0.5 + (c === 0 ? shift : 0));
        const f = scoreVersionDrift("7", baseline(), rows, { nowMs: E }).symbols.find((s) => s.symbol === "AAA")!.features;
        const bigger = scoreVersionDrift(
          "7",
          baseline(),
          rowsOf(["AAA"], 100, (_s, c, i) => (i % 10) + 0.5 + (c === 0 ? shift + 1 : 0)),
          {
            nowMs: E,
          },
        ).symbols.find((s) => s.symbol === "AAA")!.features;
        return f[1]!.psi === 0 && f[0]!.psi > 0 && bigger[0]!.psi > f[0]!.psi;
      }),
    );
  });
});

describe("calibrateDriftRule minThreshold", () => {
  it("floors every threshold", () => {
    const windows = Array.from({ length: 50 }, (_, w) => [0.01 * (w % 5), 1 + 0.01 * w]);
    const got = calibrateDriftRule(windows, { minFeatures: 1, quantile: 1, minThreshold: 0.3 });
    expect(got.status === "calibrated" && got.thresholds).toEqual([0.3, 1.49]);
  });
});

describe("decideDriftRetrain", () => {
  const fired = { triggered: true, reason: "version 7: drift on AAA" } as VersionDriftScore;
  const quiet = { triggered: false, reason: "version 7: no drift" } as VersionDriftScore;
  const policy = { enabled: true, cooldownMs: 24 * HOUR_MS };
  it.each([
    ["no champion", null, policy, null, "none"],
    ["no drift", quiet, policy, null, "none"],
    ["drift, never enqueued", fired, policy, null, "enqueue"],
    ["drift inside the cooldown", fired, policy, E - 23 * HOUR_MS, "cooldown"],
    ["drift exactly one cooldown later", fired, policy, E - 24 * HOUR_MS, "enqueue"],
    ["drift with retrains switched off", fired, { ...policy, enabled: false }, null, "disabled"],
  ] as const)("%s → %s", (_name, champion, p, last, action) => {
    const got = decideDriftRetrain(champion, p, last, E);
    expect(got.action).toBe(action);
    if (champion) expect(got.reason.startsWith(champion.reason)).toBe(true);
  });
});
