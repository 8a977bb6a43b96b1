// The hyperparameter search (issue 18): the candidates of the configured space, fit on an inner
// purged, embargoed split of the outer training rows through the CandidateTrainer port (worker threads
// for `--local`, a BullMQ flow in the retrain worker), scored on the inner validation bars, every
// trial recorded in retrain_trials, the direction winner's Sharpe deflated for the candidates tried.
// The train stage then refits each model's winner on the whole outer training part.
import { throwIfAborted } from "@mlq/core";
import { MODEL_NAMES, defaultTrainThreads, type ModelName } from "../train/model-set.js";
import { candidateData, validationLabels } from "../search/candidate-data.js";
import { candidateKey, inProcessCandidateTrainer, type CandidateSpec, type CandidateTrainer } from "../search/candidate-trainer.js";
import { innerSplit } from "../search/inner-split.js";
import { scoreCandidates, validationBars } from "../search/score-candidates.js";
import { boosterParams, searchCandidates, type CandidateParams } from "../search/search-space.js";
import { insertRetrainTrials, type RetrainTrial } from "./trials-store.js";
import { needState, type RetrainStage, type StageContext } from "./stage.js";
import { TRAIN_SEED } from "./train-stage.js";

/** What the search decided, kept in the run's state, summary and manifest. */
export interface SearchOutcome {
  trainer: string;
  candidates: CandidateParams[];
  inner: { trainRows: number; validationRows: number; purged: number; embargoHours: number };
  winners: Record<ModelName, { candidate: number; params: CandidateParams; score: number | null }>;
  /** The direction winner's Deflated Sharpe Ratio (per-bar units) and what it was deflated with. */
  deflated: {
    dsr: number | null;
    sharpe: number | null;
    expectedMaxSharpe: number;
    trials: number;
    effectiveTrials: number;
    averageCorrelation: number | null;
    sharpeVariance: number | null;
    observations: number;
  };
  minDsr: number;
  /** False: the search chose among ≥ 2 candidates and the winner's DSR is below MLQ_SEARCH_MIN_DSR (or undefined): not registered. */
  passed: boolean;
  /** Sum of the candidates' own training seconds (wherever they ran). */
  trainSeconds: number;
  /** Where the candidates trained (distinct hosts, sorted; absent in summaries from before the flow). */
  hosts?: string[];
}

/** The trainer of a run: the one the caller gave, else worker threads in this process. */
export function defaultCandidateTrainer(ctx: Pick<StageContext, "config">): CandidateTrainer {
  return inProcessCandidateTrainer({ threads: ctx.config.retrain.threads || defaultTrainThreads() });
}

export const searchStage: RetrainStage = {
  name: "search",
  progress: [30, 55],
  // A flow trainer hands the candidates to child jobs and suspends the run; the next pass continues here.
  checkpointBefore: true,
  async run(ctx) {
    const { config, state } = ctx;
    const { retrain, search } = config;
    const dataset = needState(ctx, "dataset", "search");
    const outerTrain = needState(ctx, "train", "search");
    const series = needState(ctx, "candleSeries", "search");
    const costFraction = needState(ctx, "costFraction", "search");
    const candidates = searchCandidates(search, retrain.xgb);
    const inner = innerSplit(dataset, outerTrain, {
      trainFraction: search.innerTrainFraction,
      embargoMinHours: retrain.embargoMinHours,
      horizonBars: retrain.horizonBars,
      minTrainRows: retrain.minTrainingRows,
      minValidationRows: retrain.minTestRows,
    });
    if (!inner.ok) {
      // One candidate: nothing to choose, so a training part too small for an inner split does not
      // stop the retrain; the train stage fits the configured parameters and no trial is recorded.
      if (candidates.length === 1) {
        ctx.logger.info("hyperparameter search skipped: one candidate and no inner split", { reason: inner.reason });
        return undefined;
      }
      return { outcome: "insufficient-data", success: false, message: inner.reason };
    }
    const bars = validationBars(dataset, series, inner.validation);
    const data = candidateData(dataset, inner);
    const specs: CandidateSpec[] = MODEL_NAMES.flatMap((model) =>
      candidates.map((params, candidate) => ({
        key: candidateKey(model, candidate),
        model,
        candidate,
        params: boosterParams(params, TRAIN_SEED),
      })),
    );
    throwIfAborted(ctx.signal);
    const trainer = ctx.candidateTrainer ?? defaultCandidateTrainer(ctx);
    ctx.progress(0, `candidate 0/${specs.length}`);
    const outcomes = await trainer.train(data, specs, {
      signal: ctx.signal,
      runId: ctx.runId,
      onResult: (done, total) => ctx.progress((done / total) * 100, `candidate ${done}/${total}`),
    });
    const policy = { horizonBars: retrain.horizonBars, costPerSide: costFraction / 2, entryQuantile: config.shadow.entryQuantile };
    const scored = scoreCandidates(outcomes, candidates.length, { labels: validationLabels(dataset, inner.validation), bars }, policy);
    const d = scored.deflation;
    const deflated = {
      dsr: d.dsr,
      sharpe: d.sharpe,
      expectedMaxSharpe: d.expectedMaxSharpe,
      trials: d.trials,
      effectiveTrials: d.effectiveTrials,
      averageCorrelation: d.averageCorrelation,
      sharpeVariance: d.sharpeVariance,
      observations: d.observations,
    };
    const winners = Object.fromEntries(
      MODEL_NAMES.map((m) => [m, { ...scored.winners[m], params: candidates[scored.winners[m].candidate]! }]),
    ) as SearchOutcome["winners"];
    const trials: RetrainTrial[] = outcomes.map((o) => {
      const scores = scored.scores[o.model][o.candidate]!;
      return {
        model: o.model,
        candidate: o.candidate,
        params: { ...candidates[o.candidate]! },
        scores: { ...scores },
        score: "rmse" in scores ? scores.rmse : scores.sharpe,
        selected: scored.winners[o.model].candidate === o.candidate,
        host: o.host,
        seconds: o.seconds,
      };
    });
    insertRetrainTrials(ctx.conn, ctx.runId, ctx.nowMs, trials);
    // The gate corrects for selection: with one candidate nothing was selected (its DSR is PSR(0), shown but not enforced).
    const passed = candidates.length === 1 || search.minDsr === 0 || (deflated.dsr !== null && deflated.dsr >= search.minDsr);
    state.search = {
      trainer: trainer.kind,
      candidates,
      inner: {
        trainRows: inner.train.length,
        validationRows: inner.validation.length,
        purged: inner.purged,
        embargoHours: inner.embargoHours,
      },
      winners,
      deflated,
      minDsr: search.minDsr,
      passed,
      trainSeconds: outcomes.reduce((s, o) => s + o.seconds, 0),
      hosts: [...new Set(outcomes.map((o) => o.host))].sort(),
    };
    ctx.logger.info("hyperparameter search", {
      trainer: trainer.kind,
      candidates: candidates.length,
      innerTrainRows: inner.train.length,
      validationRows: inner.validation.length,
      winners: Object.fromEntries(MODEL_NAMES.map((m) => [m, winners[m].candidate])),
      sharpe: deflated.sharpe,
      dsr: deflated.dsr,
      effectiveTrials: deflated.effectiveTrials,
      passed,
    });
    return undefined;
  },
};

/** One line on the search for the run's message. */
export function searchText(s: SearchOutcome): string {
  const dsr = s.deflated.dsr === null ? "undefined" : s.deflated.dsr.toFixed(3);
  return `search: ${s.candidates.length} candidate${s.candidates.length === 1 ? "" : "s"}, direction winner #${s.winners.direction.candidate} DSR ${dsr} (N ${s.deflated.trials}, effective ${s.deflated.effectiveTrials.toFixed(2)})`;
}
