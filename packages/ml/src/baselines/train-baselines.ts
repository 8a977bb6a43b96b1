// Everything a version's manifest records at train time beyond its metrics: the shadow entry
// threshold, the drift baseline (issue 17 item 1) and permutation importance (item 3). Pure: the
// train stage plans the importance sample before training (the workers predict its stack with the
// fresh boosters) and calls `trainBaselines` afterwards; `manifestBaselines` writes the JSON shape.
import { createRng, HOUR_MS } from "@mlq/core";
import type { ManifestDriftBaseline, ManifestEntryThreshold, ManifestFeatureImportance } from "@mlq/registry";
import type { Dataset } from "../dataset/build-dataset.js";
import { featureDriftBaseline, predictionBaseline, type FeatureDriftBaseline, type PredictionBaseline } from "../drift/baseline.js";
import { DRIFT_FEATURE_SCALE, driftFeatureView } from "../drift/drift-view.js";
import {
  permutationImportance,
  permutationStack,
  sampleRows,
  type ImportanceLoss,
  type PermutationImportance,
  type PermutationStack,
} from "../importance/permutation.js";
import { MODEL_NAMES, type ModelName, type ModelSetResult } from "../train/model-set.js";
import { entryThreshold, type EntryThreshold } from "./entry-threshold.js";

/** The loss whose increase measures importance, per model. */
export const IMPORTANCE_LOSS: Readonly<Record<ModelName, ImportanceLoss>> = Object.freeze({
  direction: "log_loss",
  risk: "rmse",
  price: "rmse",
  momentum: "rmse",
  volatility: "rmse",
});

const IMPORTANCE_STREAM = "permutation-importance";

export interface ImportanceOptions {
  /** Test rows sampled (≤ this); 0 = no importance. */
  sampleRows: number;
  repeats: number;
  seed: number;
}

export interface ImportancePlan extends ImportanceOptions {
  stream: string;
  /** The sampled dataset rows (test split), ascending. */
  rows: Int32Array;
  stack: PermutationStack;
}

/** Draws the seeded test sample and builds its permutation stack; null when importance is off or the test split is too small. */
export function planImportance(
  dataset: Pick<Dataset, "X" | "featureNames">,
  test: Int32Array,
  options: ImportanceOptions,
): ImportancePlan | null {
  if (options.sampleRows === 0 || test.length < 2) return null;
  const rng = createRng(options.seed, IMPORTANCE_STREAM);
  const rows = sampleRows(test, Math.max(2, options.sampleRows), rng);
  const stack = permutationStack(dataset.X, dataset.featureNames.length, rows, options.repeats, rng);
  return { ...options, stream: IMPORTANCE_STREAM, rows, stack };
}

export interface DriftBaselineOptions {
  windowHours: number;
  minFeatures: number;
  thresholdQuantile: number;
  minBars?: number;
  /** Floor of every feature's threshold (MLQ_DRIFT_MIN_PSI). */
  minPsi?: number;
}

/**
 * The feature drift baseline of the training rows, on the drift view of the features
 * (`driftFeatureView`: scale-dependent features over the trailing 100-bar vol). It needs no model, so
 * the train stage computes it on the main thread while the workers train.
 */
export function trainingDriftBaseline(
  dataset: Pick<Dataset, "X" | "featureNames" | "ts" | "symbolIndex" | "symbols">,
  train: Int32Array,
  options: DriftBaselineOptions,
): FeatureDriftBaseline {
  const cols = dataset.featureNames.length;
  // Only the train rows are copied into the view (the dataset may hold a million rows).
  const X = new Float64Array(train.length * cols);
  train.forEach((r, i) => X.set(dataset.X.subarray(r * cols, (r + 1) * cols), i * cols));
  return featureDriftBaseline(
    {
      featureNames: dataset.featureNames,
      symbols: dataset.symbols,
      X: driftFeatureView(dataset.featureNames, X),
      ts: Float64Array.from(train, (r) => dataset.ts[r]!),
      symbolIndex: Int32Array.from(train, (r) => dataset.symbolIndex[r]!),
      rows: Int32Array.from(train, (_, i) => i),
    },
    {
      windowMs: options.windowHours * HOUR_MS,
      minFeatures: options.minFeatures,
      thresholdQuantile: options.thresholdQuantile,
      ...(options.minBars !== undefined ? { minBars: options.minBars } : {}),
      ...(options.minPsi !== undefined ? { minThreshold: options.minPsi } : {}),
    },
  );
}

export interface TrainBaselinesOptions {
  entryQuantile: number;
}

export interface TrainBaselines {
  entryThreshold: EntryThreshold;
  featureDrift: FeatureDriftBaseline;
  predictionDrift: PredictionBaseline;
  importance: (ImportanceOptions & { stream: string; sampleRows: number; models: Record<ModelName, PermutationImportance> }) | null;
  /** Main-thread time after training (the importance predictions ran on the training workers: `trained.durationsMs.extraPredict`). */
  durationsMs: { predictionDrift: number; importance: number };
}

export interface TrainBaselinesInput {
  dataset: Pick<Dataset, "symbolIndex" | "symbols" | "y">;
  test: Int32Array;
  /** From `trainingDriftBaseline` on the train rows after the row cap (what the models saw). */
  featureDrift: FeatureDriftBaseline;
  trained: Pick<ModelSetResult, "testPredictions" | "extraPredictions">;
  importance: ImportancePlan | null;
}

export function trainBaselines(input: TrainBaselinesInput, options: TrainBaselinesOptions): TrainBaselines {
  const started = performance.now();
  const { dataset, test, trained, featureDrift } = input;
  const direction = trained.testPredictions.direction;
  const predictionDrift = predictionBaseline(
    direction,
    Int32Array.from(test, (r) => dataset.symbolIndex[r]!),
    dataset.symbols,
  );
  const drifted = performance.now();

  let importance: TrainBaselines["importance"] = null;
  const plan = input.importance;
  if (plan && trained.extraPredictions) {
    const models = {} as Record<ModelName, PermutationImportance>;
    for (const name of MODEL_NAMES) {
      const y = Float64Array.from(plan.rows, (r) => dataset.y[name][r]!);
      models[name] = permutationImportance(trained.extraPredictions[name], y, plan.stack, IMPORTANCE_LOSS[name]);
    }
    importance = { sampleRows: plan.rows.length, repeats: plan.repeats, seed: plan.seed, stream: plan.stream, models };
  }
  const done = performance.now();
  return {
    entryThreshold: entryThreshold(direction, options.entryQuantile),
    featureDrift,
    predictionDrift,
    importance,
    durationsMs: { predictionDrift: Math.round(drifted - started), importance: Math.round(done - drifted) },
  };
}

/** NaN/Infinity cannot go into JSON: written as null. */
const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

const byName = <T>(names: readonly string[], values: readonly T[]): Record<string, T> =>
  Object.fromEntries(names.map((n, i) => [n, values[i]!]));

/** The manifest's extra keys (snake_cased by the registry): entry_threshold, drift_baseline, feature_importance. */
export function manifestBaselines(
  b: TrainBaselines,
  featureNames: readonly string[],
): {
  entryThreshold: ManifestEntryThreshold;
  driftBaseline: ManifestDriftBaseline;
  featureImportance?: ManifestFeatureImportance;
} {
  const f = b.featureDrift;
  const symbols: ManifestDriftBaseline["symbols"] = {};
  for (const s of f.symbols) {
    const thresholds = s.calibration.status === "calibrated" ? s.calibration.thresholds : null;
    symbols[s.symbol] = {
      rows: s.rows,
      status: s.calibration.status,
      windows: s.calibration.windows,
      false_trigger_rate: s.calibration.status === "calibrated" ? s.calibration.falseTriggerRate : null,
      features: byName(
        s.bins.length > 0 ? featureNames : [],
        s.bins.map((bins, j) => ({ edges: bins.edges, shares: bins.shares, threshold: thresholds ? num(thresholds[j]!) : null })),
      ),
    };
  }
  const p = b.predictionDrift;
  const out: ReturnType<typeof manifestBaselines> = {
    entryThreshold: {
      model: "direction",
      split: "test",
      quantile: b.entryThreshold.quantile,
      threshold: b.entryThreshold.threshold,
      rows: b.entryThreshold.rows,
    },
    driftBaseline: {
      method: "psi-deciles",
      feature_scale: DRIFT_FEATURE_SCALE,
      epsilon: f.epsilon,
      window_hours: f.windowMs / HOUR_MS,
      step_hours: f.stepMs / HOUR_MS,
      min_bars: f.minBars,
      min_features: f.minFeatures,
      threshold_quantile: f.thresholdQuantile,
      min_psi: f.minThreshold,
      reference: { split: "train", from_ms: f.fromMs, to_ms: f.toMs },
      status: f.status,
      windows: f.windows,
      false_trigger_rate: f.falseTriggerRate,
      false_trigger_ends_ms: f.falseTriggerEndsMs,
      symbols,
      prediction: {
        model: "direction",
        split: "test",
        rows: p.pooled.rows,
        edges: p.pooled.edges,
        shares: p.pooled.shares,
        symbols: Object.fromEntries(p.perSymbol.map((s) => [s.symbol, { rows: s.rows, edges: s.edges, shares: s.shares }])),
      },
    },
  };
  const imp = b.importance;
  if (imp) {
    out.featureImportance = {
      method: "permutation",
      split: "test",
      sample_rows: imp.sampleRows,
      repeats: imp.repeats,
      seed: imp.seed,
      stream: imp.stream,
      models: Object.fromEntries(
        MODEL_NAMES.map((name) => {
          const m = imp.models[name];
          return [
            name,
            {
              loss: m.loss,
              baseline_loss: num(m.baselineLoss),
              importance: byName(featureNames, m.importance.map(num)),
              ...(m.std ? { std: byName(featureNames, m.std.map(num)) } : {}),
            },
          ];
        }),
      ),
    };
  }
  return out;
}
