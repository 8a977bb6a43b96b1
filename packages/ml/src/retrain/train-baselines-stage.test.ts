// The train stage's baselines end to end through save: real SQLite in a temp dir, real (small) boosters.
import { afterEach, describe, expect, it } from "vitest";
import {
  loadModelSet,
  manifestDriftBaseline,
  manifestEntryThreshold,
  manifestFeatureImportance,
  manifestTrainedThroughMs,
} from "@mlq/registry";
import { FEATURE_NAMES } from "../features/compute-features.js";
import { MODEL_NAMES } from "../train/index.js";
import { featuresStage, splitStage } from "./dataset-stages.js";
import { saveStage } from "./registry-stages.js";
import { insertSyntheticCandles, retrainFixture, stageContext, type RetrainFixture } from "./retrain.test-util.js";
import { trainStage } from "./train-stage.js";

let fx: RetrainFixture | undefined;
afterEach(() => fx?.dispose());

/** Six days of one-minute candles for two symbols: ~4 days of training rows, enough hourly windows to calibrate. */
async function savedVersion(env: Record<string, string> = {}) {
  fx = retrainFixture({ MLQ_XGB_ROUNDS: "5", MLQ_EMBARGO_MIN_HOURS: "24", ...env });
  insertSyntheticCandles(fx.conn, ["BTC", "ETH"], 6 * 1440, Date.UTC(2026, 0, 1));
  const ctx = stageContext(fx, { state: { costFraction: 0.0024, slippage: { mult: 2, reason: "no calibration yet" }, gates: [] } });
  await featuresStage.run(ctx);
  await splitStage.run(ctx);
  await trainStage.run(ctx);
  await saveStage.run(ctx);
  const loaded = loadModelSet(fx.config.modelsDir, ctx.state.saved!.version);
  return { ctx, manifest: loaded.manifest };
}

describe("train stage baselines in the manifest", () => {
  it("writes trained_through_ms, the entry threshold, the drift baseline and permutation importance with sane values", async () => {
    const { ctx, manifest } = await savedVersion();
    const dataset = ctx.state.dataset!;
    const { test } = ctx.state.split!;
    const train = ctx.state.train!;

    // trained_through_ms: the latest bar a test row reads, past the last test bar by H bars.
    const lastTestBar = dataset.ts[test[test.length - 1]!]!;
    expect(manifest.data_window.test_end_ms).toBe(lastTestBar);
    expect(manifestTrainedThroughMs(manifest)).toBe(lastTestBar + 15 * 60_000);
    expect(manifest.trained_through_iso).toBe(new Date(lastTestBar + 15 * 60_000).toISOString());

    // Entry threshold: the 0.8 quantile of the direction model's test probabilities.
    const probs = ctx.state.trained!.testPredictions.direction;
    const entry = manifestEntryThreshold(manifest)!;
    expect(entry).toMatchObject({ model: "direction", split: "test", quantile: 0.8, rows: test.length });
    const above = probs.filter((p) => p >= entry.threshold).length / probs.length;
    expect(above).toBeGreaterThanOrEqual(0.2 - 1e-9);
    expect(entry.threshold).toBeGreaterThanOrEqual(Math.min(...probs));
    expect(entry.threshold).toBeLessThanOrEqual(Math.max(...probs));

    // Drift baseline: per symbol and feature the training deciles and a threshold; the rule calibrated.
    const drift = manifestDriftBaseline(manifest)!;
    expect(drift).toMatchObject({
      method: "psi-deciles",
      window_hours: 24,
      step_hours: 1,
      min_features: 3,
      threshold_quantile: 0.99,
      status: "calibrated",
    });
    expect(drift.reference).toEqual({ split: "train", from_ms: dataset.ts[train[0]!], to_ms: dataset.ts[train[train.length - 1]!] });
    expect(drift.windows).toBeGreaterThanOrEqual(48);
    expect(drift.false_trigger_rate).toBeGreaterThanOrEqual(0);
    expect(drift.false_trigger_rate).toBeLessThan(0.05);
    expect(Object.keys(drift.symbols)).toEqual(["BTC", "ETH"]);
    for (const s of Object.values(drift.symbols)) {
      expect(s.status).toBe("calibrated");
      expect(Object.keys(s.features)).toEqual([...FEATURE_NAMES]);
      for (const f of Object.values(s.features)) {
        expect(f.edges).toHaveLength(9);
        for (let i = 1; i < 9; i++) expect(f.edges[i]!).toBeGreaterThanOrEqual(f.edges[i - 1]!);
        expect(f.shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        expect(f.threshold!).toBeGreaterThan(0);
      }
    }
    expect(drift.prediction).toMatchObject({ model: "direction", split: "test", rows: test.length });
    expect(drift.prediction.edges).toHaveLength(9);
    expect(Object.keys(drift.prediction.symbols)).toEqual(["BTC", "ETH"]);

    // Importance: five models × 11 features on a seeded 2,000-row test sample (or the whole split).
    const imp = manifestFeatureImportance(manifest)!;
    expect(imp).toMatchObject({ method: "permutation", split: "test", sample_rows: Math.min(2000, test.length), repeats: 1, seed: 42 });
    expect(Object.keys(imp.models)).toEqual([...MODEL_NAMES]);
    expect(imp.models.direction!.loss).toBe("log_loss");
    expect(imp.models.price!.loss).toBe("rmse");
    for (const m of Object.values(imp.models)) {
      expect(Object.keys(m.importance)).toEqual([...FEATURE_NAMES]);
      expect(Object.values(m.importance).every((v) => typeof v === "number" && Number.isFinite(v))).toBe(true);
      expect(m.baseline_loss!).toBeGreaterThan(0);
    }
  }, 60_000);

  it("is deterministic for the same data and config, and MLQ_IMPORTANCE_ROWS=0 leaves importance out", async () => {
    const a = (await savedVersion()).manifest;
    fx!.dispose();
    const b = (await savedVersion()).manifest;
    expect(b.feature_importance).toEqual(a.feature_importance);
    expect(b.drift_baseline).toEqual(a.drift_baseline);
    expect(b.entry_threshold).toEqual(a.entry_threshold);
    fx!.dispose();
    const off = (await savedVersion({ MLQ_IMPORTANCE_ROWS: "0" })).manifest;
    expect(off.feature_importance).toBeUndefined();
    expect(off.entry_threshold).toEqual(a.entry_threshold);
  }, 60_000);

  it("reports no baseline when the training period is too short to calibrate", async () => {
    const { manifest } = await savedVersion({ MLQ_DRIFT_WINDOW_HOURS: "72" });
    const drift = manifestDriftBaseline(manifest)!;
    expect(drift.status).toBe("no baseline");
    expect(drift.false_trigger_rate).toBeNull();
    expect(drift.symbols.BTC!.features.ret_1!.threshold).toBeNull();
    expect(drift.symbols.BTC!.features.ret_1!.edges).toHaveLength(9);
  }, 60_000);
});
