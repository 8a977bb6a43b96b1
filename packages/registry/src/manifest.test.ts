import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ModelIntegrityError } from "@mlq/core";
import {
  loadModelSet,
  manifestDriftBaseline,
  manifestEntryThreshold,
  manifestFeatureImportance,
  manifestTrainedThroughMs,
  parseManifest,
  saveModelSet,
  type ManifestDriftBaseline,
  type ManifestFeatureImportance,
} from "./index.js";
import { fakeModels, manifestInput } from "./registry.test-util.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-manifest-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A manifest.json as versions wrote it before the train-time baselines existed. */
const OLD_MANIFEST = {
  run_id: 7,
  trigger: "scheduled",
  format: "mlq-model-set/1",
  version: "7",
  created_at: "2026-10-01T13:02:11.000Z",
  code_version: { package: "@mlq/ml", package_version: "0.1.0", git_sha: null },
  models: { direction: { file: "direction.xgb", sha256: "a".repeat(64), bytes: 1234, objective: "binary:logistic" } },
  feature_names: ["ret_1"],
  params: { rounds: 100 },
  data_window: { train_end_ms: 1, test_start_ms: 2, symbols: ["BTC-USDT"] },
  row_counts: { train: 10, test: 5 },
  metrics: { direction: { auc: 0.6 } },
  slippage_mult: 2,
  embargo_hours: 24,
};

const DRIFT: ManifestDriftBaseline = {
  method: "psi-deciles",
  epsilon: 1e-4,
  window_hours: 24,
  step_hours: 1,
  min_bars: 60,
  min_features: 3,
  threshold_quantile: 0.99,
  reference: { split: "train", from_ms: 1, to_ms: 2 },
  status: "calibrated",
  windows: 300,
  false_trigger_rate: 0.01,
  false_trigger_ends_ms: [1_793_000_000_000, 1_793_003_600_000, 1_793_007_200_000],
  symbols: {
    "BTC-USDT": {
      rows: 20_000,
      status: "calibrated",
      windows: 300,
      false_trigger_rate: 0.01,
      features: { ret_1: { edges: [1, 2, 3, 4, 5, 6, 7, 8, 9], shares: Array(10).fill(0.1), threshold: 0.4 } },
    },
  },
  prediction: { model: "direction", split: "test", rows: 5, edges: [1, 2, 3, 4, 5, 6, 7, 8, 9], shares: Array(10).fill(0.1), symbols: {} },
};

const IMPORTANCE: ManifestFeatureImportance = {
  method: "permutation",
  split: "test",
  sample_rows: 2000,
  repeats: 1,
  seed: 42,
  stream: "permutation-importance",
  models: { direction: { loss: "log_loss", baseline_loss: 0.69, importance: { ret_1: 0.01 } } },
};

describe("manifest train-time baselines", () => {
  it("an older manifest without them still parses; the readers answer null", () => {
    const m = parseManifest(JSON.stringify(OLD_MANIFEST), "/models/7/manifest.json");
    expect(manifestTrainedThroughMs(m)).toBeNull();
    expect(manifestEntryThreshold(m)).toBeNull();
    expect(manifestDriftBaseline(m)).toBeNull();
    expect(manifestFeatureImportance(m)).toBeNull();
    // And a version saved without them loads and verifies as before.
    saveModelSet(dir, "old", { models: fakeModels(1), manifest: manifestInput });
    expect(manifestTrainedThroughMs(loadModelSet(dir, "old").manifest)).toBeNull();
  });

  it("round-trips them through saveModelSet and loadModelSet under snake_case keys", () => {
    const entry = { model: "direction" as const, split: "test" as const, quantile: 0.8, threshold: 0.5625, rows: 15_000 };
    saveModelSet(dir, "new", {
      models: fakeModels(2),
      manifest: {
        ...manifestInput,
        trainedThroughMs: 1_793_000_000_000,
        entryThreshold: entry,
        driftBaseline: DRIFT,
        featureImportance: IMPORTANCE,
      },
    });
    const m = loadModelSet(dir, "new").manifest;
    expect(m.trained_through_ms).toBe(1_793_000_000_000);
    expect(manifestTrainedThroughMs(m)).toBe(1_793_000_000_000);
    expect(manifestEntryThreshold(m)).toEqual(entry);
    expect(manifestDriftBaseline(m)).toEqual(DRIFT);
    expect(manifestFeatureImportance(m)).toEqual(IMPORTANCE);
  });

  it.each([
    ["a trained_through_ms that is not a timestamp", { trained_through_ms: "2026-10-01" }, /trained_through_ms is not a timestamp/],
    ["an entry threshold quantile outside (0, 1)", { entry_threshold: { threshold: 0.5, quantile: 80 } }, /entry_threshold needs/],
    ["an entry threshold that is null", { entry_threshold: { threshold: null, quantile: 0.8 } }, /entry_threshold needs/],
    ["a drift baseline without a status", { drift_baseline: { ...DRIFT, status: undefined } }, /drift_baseline needs/],
    ["importance without models", { feature_importance: { method: "permutation" } }, /feature_importance needs models/],
  ])("rejects %s with ModelIntegrityError", (_name, fields, message) => {
    const text = JSON.stringify({ ...OLD_MANIFEST, ...fields });
    expect(() => parseManifest(text, "/models/7/manifest.json")).toThrow(ModelIntegrityError);
    expect(() => parseManifest(text, "/models/7/manifest.json")).toThrow(message);
  });
});
