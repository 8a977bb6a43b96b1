// The five XGBoost boosters, in worker threads, on the capped train rows; metrics on the test rows.
import { trainModelSet } from "../train/index.js";
import { needState, type RetrainStage } from "./stage.js";

/** Fixed so the same data and config train the same bytes. */
export const TRAIN_SEED = 42;

export const trainStage: RetrainStage = {
  name: "train",
  progress: [30, 90],
  async run(ctx) {
    const { retrain } = ctx.config;
    const dataset = needState(ctx, "dataset", "train");
    ctx.progress(0, "model 0/5");
    ctx.state.trained = await trainModelSet({
      X: dataset.X,
      rows: dataset.rows,
      cols: dataset.featureNames.length,
      labels: dataset.y,
      train: needState(ctx, "train", "train"),
      test: needState(ctx, "split", "train").test,
      params: {
        rounds: retrain.xgb.rounds,
        maxDepth: retrain.xgb.maxDepth,
        eta: retrain.xgb.eta,
        subsample: retrain.xgb.subsample,
        treeMethod: "hist",
        seed: TRAIN_SEED,
      },
      maxRows: retrain.maxTrainingRows,
      threads: retrain.threads || undefined,
      signal: ctx.signal,
      progress: (p) => ctx.progress(p.pct, p.detail),
    });
    return undefined;
  },
};
