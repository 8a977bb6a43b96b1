// The five XGBoost boosters (each model's search winner, refit on the whole outer training part), in
// worker threads, on the capped train rows; metrics on the test rows;
// then the train-time baselines of the manifest (entry threshold, drift baseline, permutation
// importance — whose permuted test sample each worker predicts with the booster it just trained).
import { throwIfAborted } from "@mlq/core";
import { planImportance, trainBaselines, trainingDriftBaseline } from "../baselines/train-baselines.js";
import type { FeatureDriftBaseline } from "../drift/baseline.js";
import { MODEL_NAMES, trainModelSet, type BoosterParams, type ModelName } from "../train/index.js";
import { boosterParams } from "../search/search-space.js";
import { needState, type RetrainStage } from "./stage.js";

/** Fixed so the same data and config train the same bytes (and draw the same importance sample). */
export const TRAIN_SEED = 42;

export const trainStage: RetrainStage = {
  name: "train",
  progress: [55, 90],
  async run(ctx) {
    const { retrain, shadow, drift, importance } = ctx.config;
    const dataset = needState(ctx, "dataset", "train");
    const train = needState(ctx, "train", "train");
    const { test } = needState(ctx, "split", "train");
    throwIfAborted(ctx.signal);
    const plan = planImportance(dataset, test, { sampleRows: importance.sampleRows, repeats: importance.repeats, seed: TRAIN_SEED });
    // Aborted by the run's signal, or here when the drift baseline fails while the workers train.
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(ctx.signal?.reason);
    ctx.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      ctx.progress(0, "model 0/5");
      // Not awaited yet: the worker threads start training before the first await inside.
      const training = trainModelSet({
        X: dataset.X,
        rows: dataset.rows,
        cols: dataset.featureNames.length,
        labels: dataset.y,
        train,
        test,
        params: {
          rounds: retrain.xgb.rounds,
          maxDepth: retrain.xgb.maxDepth,
          eta: retrain.xgb.eta,
          subsample: retrain.xgb.subsample,
          treeMethod: "hist",
          seed: TRAIN_SEED,
        },
        // The search's winner of each model, refit on the whole outer training part.
        ...(ctx.state.search && {
          paramsByModel: Object.fromEntries(
            MODEL_NAMES.map((m) => [m, boosterParams(ctx.state.search!.winners[m].params, TRAIN_SEED)]),
          ) as Record<ModelName, BoosterParams>,
        }),
        maxRows: retrain.maxTrainingRows,
        threads: retrain.threads || undefined,
        signal: controller.signal,
        progress: (p) => ctx.progress(p.pct, p.detail),
        ...(plan ? { extraPredict: { X: plan.stack.X, rows: plan.stack.rows } } : {}),
      });
      // The feature drift baseline needs no model: computed on this thread meanwhile.
      const driftStarted = performance.now();
      let featureDrift: FeatureDriftBaseline;
      try {
        featureDrift = trainingDriftBaseline(dataset, train, drift);
      } catch (err) {
        controller.abort(err);
        await training.catch(() => undefined);
        throw err;
      }
      const driftMs = Math.round(performance.now() - driftStarted);
      const trained = await training;
      ctx.state.trained = trained;
      const baselines = trainBaselines({ dataset, test, trained, featureDrift, importance: plan }, { entryQuantile: shadow.entryQuantile });
      ctx.state.baselines = baselines;
      ctx.logger.info("train-time baselines", {
        entryThreshold: baselines.entryThreshold.threshold,
        drift: featureDrift.status,
        driftWindows: featureDrift.windows,
        falseTriggerRate: featureDrift.falseTriggerRate,
        importanceRows: baselines.importance?.sampleRows ?? 0,
        baselineMs: { featureDrift: driftMs, ...baselines.durationsMs },
        importancePredictMs: trained.durationsMs.extraPredict ?? null,
      });
    } finally {
      ctx.signal?.removeEventListener("abort", onAbort);
    }
    return undefined;
  },
};
