// The trained set becomes an immutable version directory (save), then a role (register): the
// first version is champion and v1_backtest baseline; later ones are candidates and take the
// evaluation slot (challenger, v2_paper) when it is free. Smoke runs save but never register.
import { isoUtc } from "@mlq/core";
import { registerAndOffer, saveModelSet, syncRoleFiles } from "@mlq/registry";
import { trainedThroughMs } from "../baselines/entry-threshold.js";
import { manifestBaselines } from "../baselines/train-baselines.js";
import { ML_CODE_PACKAGE } from "../code-package.js";
import type { Dataset } from "../dataset/build-dataset.js";
import { needState, type RetrainStage } from "./stage.js";
import type { SearchOutcome } from "./search-stage.js";

/** What the card's hyperparameter table shows of the search: per-model winners when they differ, and the DSR. */
function searchParams(s: SearchOutcome): Record<string, unknown> {
  const byModel = Object.fromEntries(Object.entries(s.winners).map(([m, w]) => [m, w.params]));
  const differ = new Set(Object.values(byModel).map((p) => JSON.stringify(p))).size > 1;
  return {
    ...(differ && { byModel }),
    search: {
      candidates: s.candidates.length,
      directionDsr: s.deflated.dsr,
      effectiveTrials: s.deflated.effectiveTrials,
      minDsr: s.minDsr,
      passed: s.passed,
    },
  };
}

/** The search as the manifest records it in full. */
function manifestSearch(s: SearchOutcome): Record<string, unknown> {
  return {
    trainer: s.trainer,
    candidates: s.candidates.length,
    space: s.candidates,
    inner: s.inner,
    winners: s.winners,
    deflated: s.deflated,
    minDsr: s.minDsr,
    passed: s.passed,
  };
}

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
            // The direction model's parameters on top (the model that trades), every model's when the search chose differently.
            ...(state.search ? state.search.winners.direction.params : config.retrain.xgb),
            treeMethod: "hist",
            horizonBars: config.retrain.horizonBars,
            costFraction: needState(ctx, "costFraction", "save"),
            ...(state.search && searchParams(state.search)),
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
            rowsBySymbol: rowsBySymbol(dataset, train, split.test),
          },
          trainedThroughMs: through,
          trainedThroughIso: isoUtc(through),
          ...(state.search && { search: manifestSearch(state.search) }),
          ...baselines,
        },
      },
      { gitSha: ctx.codeVersion, codePackage: ML_CODE_PACKAGE },
    );
    return undefined;
  },
};

/** Per symbol: candles read, feature rows kept and dropped, and the rows of each split (the version card shows them). */
export function rowsBySymbol(
  dataset: Pick<Dataset, "symbols" | "symbolIndex" | "perSymbol">,
  train: Int32Array,
  test: Int32Array,
): Record<string, { candles: number; rows: number; dropped: number; train: number; test: number }> {
  const count = (rows: Int32Array) => {
    const n = new Array<number>(dataset.symbols.length).fill(0);
    for (const r of rows) n[dataset.symbolIndex[r]!]!++;
    return n;
  };
  const inTrain = count(train);
  const inTest = count(test);
  return Object.fromEntries(
    dataset.symbols.map((symbol, i) => {
      const stats = dataset.perSymbol.find((s) => s.symbol === symbol);
      return [symbol, { candles: stats?.candles ?? 0, rows: stats?.rows ?? 0, dropped: stats?.dropped ?? 0, train: inTrain[i]!, test: inTest[i]! }];
    }),
  );
}

export const registerStage: RetrainStage = {
  name: "register",
  progress: [95, 99],
  // A smoke run proves the pipeline works; its set is saved for inspection but never evaluated.
  skip: (ctx) => ctx.trigger === "smoke",
  run(ctx) {
    const { version } = needState(ctx, "saved", "register");
    const search = ctx.state.search;
    if (search && !search.passed) {
      // Saved for inspection, never offered: the best of the candidates may look good by luck alone.
      ctx.logger.warn("not registered: the search winner's Deflated Sharpe Ratio is below MLQ_SEARCH_MIN_DSR", {
        version,
        dsr: search.deflated.dsr,
        minDsr: search.minDsr,
        trials: search.deflated.trials,
        effectiveTrials: search.deflated.effectiveTrials,
      });
      return undefined;
    }
    const { alpha, alphaBudget } = ctx.config.ab;
    const outcome = registerAndOffer(ctx.conn, ctx.modelsDir, {
      version,
      runId: ctx.runId,
      trigger: ctx.trigger,
      nowMs: ctx.nowMs,
      policy: { alpha, budget: alphaBudget },
    });
    ctx.state.registered = { role: outcome.role, alpha: outcome.slot.alpha, skipped: outcome.slot.skipped };
    ctx.state.v1BacktestEstablished = outcome.role === "champion";
    syncRoleFiles(ctx.conn, ctx.modelsDir, ctx.logger);
    ctx.logger.info(
      outcome.role === "champion"
        ? "first trained set: champion and v1_backtest baseline"
        : outcome.role === "challenger"
          ? "registered and took the free evaluation slot as challenger"
          : "registered as candidate: waiting for the evaluation slot",
      { version, trigger: ctx.trigger, alpha: outcome.slot.alpha, skipped: outcome.slot.skipped },
    );
    return undefined;
  },
};
