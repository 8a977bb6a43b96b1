// The trained set becomes an immutable version directory (save), then the pointers move to it
// (register): v2_paper -> new (old one to v2_paper_prev), v1_backtest established on a first run.
import { isoUtc } from "@mlq/core";
import { ensureV1Backtest, promoteV2Paper, saveModelSet } from "@mlq/registry";
import { trainedThroughMs } from "../baselines/entry-threshold.js";
import { manifestBaselines } from "../baselines/train-baselines.js";
import { ML_CODE_PACKAGE } from "../code-package.js";
import { needState, type RetrainStage } from "./stage.js";

export const saveStage: RetrainStage = {
  name: "save",
  progress: [92, 95],
  run(ctx) {
    const { config, state } = ctx;
    const dataset = needState(ctx, "dataset", "save");
    const split = needState(ctx, "split", "save");
    const train = needState(ctx, "train", "save");
    const trained = needState(ctx, "trained", "save");
    const slippage = needState(ctx, "slippage", "save");
    const through = trainedThroughMs(dataset, split.test);
    // Absent only when a caller skips the train stage (tests with a stand-in model set).
    const baselines = state.baselines ? manifestBaselines(state.baselines, dataset.featureNames) : {};
    state.saved = saveModelSet(
      ctx.modelsDir,
      String(ctx.runId),
      {
        models: trained.models,
        manifest: {
          featureNames: [...dataset.featureNames],
          params: {
            ...config.retrain.xgb,
            treeMethod: "hist",
            horizonBars: config.retrain.horizonBars,
            costFraction: needState(ctx, "costFraction", "save"),
          },
          dataWindow: {
            train_end_ms: split.trainEndTs,
            test_start_ms: split.testStartTs,
            train_end_iso: isoUtc(split.trainEndTs),
            test_start_iso: isoUtc(split.testStartTs),
            test_end_ms: dataset.ts[split.test[split.test.length - 1]!]!,
            symbols: dataset.symbols,
          },
          rowCounts: {
            train: train.length,
            test: split.test.length,
            purged: split.purged,
            embargo: split.embargoRows,
            dropped_non_finite: dataset.droppedRows,
          },
          metrics: trained.metrics as unknown as Record<string, unknown>,
          slippageMult: slippage.mult,
          embargoHours: split.embargoHours,
          extra: {
            runId: ctx.runId,
            trigger: ctx.trigger,
            labelNames: [...dataset.labelNames],
            gates: state.gates ?? [],
            codeVersion: ctx.codeVersion,
          },
          trainedThroughMs: through,
          trainedThroughIso: isoUtc(through),
          ...baselines,
        },
      },
      { gitSha: ctx.codeVersion, codePackage: ML_CODE_PACKAGE },
    );
    return undefined;
  },
};

export const registerStage: RetrainStage = {
  name: "register",
  progress: [95, 99],
  run(ctx) {
    const { version } = needState(ctx, "saved", "register");
    promoteV2Paper(ctx.modelsDir, version);
    ctx.state.v1BacktestEstablished = ensureV1Backtest(ctx.modelsDir, version);
    if (ctx.state.v1BacktestEstablished)
      ctx.logger.info("no v1_backtest pointer existed: established it from this first trained set", { version });
    return undefined;
  },
};
