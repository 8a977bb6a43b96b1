// The retrain as a list of named stages, each timed, each with its share of the progress bar,
// and exactly one phase2_retrain_runs row per attempt (success or failure).
import { errorMessage, MlqError, noProgress, silentLogger, throwIfAborted, type Logger, type ProgressFn } from "@mlq/core";
import type { Config } from "@mlq/config";
import type { Connection } from "@mlq/db";
import type { GateResult } from "@mlq/gates";
import { candlesStage } from "./candles-stage.js";
import { checkInputStage, checkModelsDirStage } from "./check-stages.js";
import { featuresStage, splitStage } from "./dataset-stages.js";
import { costStage, gatesStage } from "./gate-stages.js";
import { registerStage, saveStage } from "./registry-stages.js";
import { closeRetrainRun, failRetrainRun, openRetrainRun } from "./retrain-runs-store.js";
import type { CandleSummary, RetrainEnd, RetrainOutcome, RetrainStage, RetrainState, RetrainTrigger, StageContext } from "./stage.js";
import { trainStage } from "./train-stage.js";
import { searchStage, searchText, type SearchOutcome } from "./search-stage.js";
import type { CandidateTrainer } from "../search/candidate-trainer.js";
import { xgboostJsonStage } from "./xgboost-json-stage.js";

export interface RetrainDeps {
  conn: Connection;
  config: Config;
  modelsDir?: string;
  logger?: Logger;
  progress?: ProgressFn;
  signal?: AbortSignal;
  jobId?: string | null;
  nowMs?: number;
  codeVersion?: string;
  /** Trains the search's candidates (the retrain worker's BullMQ flow); default: worker threads here. */
  candidateTrainer?: CandidateTrainer;
}

export interface RetrainSummary {
  runId: number;
  outcome: RetrainOutcome;
  trigger: RetrainTrigger;
  success: boolean;
  gatePass: boolean;
  gates: GateResult[];
  message: string;
  candles?: CandleSummary;
  slippageMult?: number;
  slippageMultReason?: string;
  trainingRows?: number;
  testRows?: number;
  droppedRows?: number;
  embargoHours?: number;
  version?: string;
  modelDir?: string;
  metrics?: Record<string, Record<string, number | null>>;
  v1BacktestEstablished?: boolean;
  /** The hyperparameter search: candidates, winners, the direction winner's DSR and whether it allowed registering. */
  search?: SearchOutcome;
  /** The role the new version took (absent for a smoke run, which never registers). */
  registered?: { role: "champion" | "challenger" | "candidate"; alpha: number | null; skipped: string[] };
  durationSec: number;
  /** Milliseconds per stage that ran (skipped stages are absent). */
  stageMs: Record<string, number>;
}

/** The pipeline, in order. A stage may end the run early with a result (dry run, gates, too little data). */
export const RETRAIN_STAGES: readonly RetrainStage[] = [
  checkInputStage,
  checkModelsDirStage,
  candlesStage,
  costStage,
  gatesStage,
  featuresStage,
  splitStage,
  searchStage,
  trainStage,
  xgboostJsonStage,
  saveStage,
  registerStage,
];

/** Runs one retrain. Never throws for a gate failure or too little data: those are results. */
export async function runRetrain(
  deps: RetrainDeps,
  options: { trigger: RetrainTrigger },
  stages: readonly RetrainStage[] = RETRAIN_STAGES,
): Promise<RetrainSummary> {
  const { conn, config } = deps;
  const { trigger } = options;
  const logger = deps.logger ?? silentLogger;
  const progress = deps.progress ?? noProgress;
  const nowMs = deps.nowMs ?? Date.now();
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  const runId = openRetrainRun(conn, {
    nowMs,
    jobId: deps.jobId ?? null,
    trigger,
    volPercentileLo: config.gates.volPercentileLo,
    volPercentileHi: config.gates.volPercentileHi,
  });
  const state: RetrainState = {};
  const stageMs: Record<string, number> = {};
  const base = {
    conn,
    config,
    modelsDir: deps.modelsDir ?? config.modelsDir,
    logger,
    signal: deps.signal,
    nowMs,
    jobId: deps.jobId ?? null,
    codeVersion: deps.codeVersion ?? null,
    trigger,
    ...(deps.candidateTrainer && { candidateTrainer: deps.candidateTrainer }),
    runId,
    state,
  };

  try {
    let end: RetrainEnd | undefined;
    for (const stage of stages) {
      const [from, to] = stage.progress;
      const ctx: StageContext = {
        ...base,
        progress: (pct, detail) => progress({ stage: stage.name, pct: from + ((to - from) * pct) / 100, detail }),
      };
      if (stage.skip?.(ctx)) continue;
      progress({ stage: stage.name, pct: from });
      // A turn of the event loop between stages lets BullMQ renew the job lock.
      await new Promise<void>((resolve) => setImmediate(resolve));
      throwIfAborted(deps.signal);
      const t0 = performance.now();
      try {
        end = await stage.run(ctx);
      } finally {
        stageMs[stage.name] = Math.round(performance.now() - t0);
      }
      if (end) break;
    }
    const summary = summarize(runId, trigger, state, stageMs, end);
    closeRetrainRun(conn, runId, {
      success: summary.success,
      errorMsg: summary.success ? null : summary.message,
      durationSec: seconds(),
      ...(summary.outcome === "trained" && {
        modelsTrained: state.trained?.models.length,
        modelDir: summary.modelDir,
        metrics: state.trained?.metrics,
      }),
    });
    if (summary.outcome === "trained") progress({ stage: "done", pct: 100 });
    return { ...summary, durationSec: seconds() };
  } catch (err) {
    const msg = errorMessage(err);
    try {
      failRetrainRun(conn, runId, { errorMsg: msg, gatePass: state.gatePass ?? null, durationSec: seconds() });
    } catch (auditErr) {
      logger.error("could not record the failed retrain run", { runId, error: errorMessage(auditErr) });
    }
    logger.error("retrain failed", { runId, error: msg });
    throw err;
  }
}

/** The run's summary from what the stages produced: the early end's result, or a trained set. */
function summarize(
  runId: number,
  trigger: RetrainTrigger,
  state: RetrainState,
  stageMs: Record<string, number>,
  end: RetrainEnd | undefined,
): Omit<RetrainSummary, "durationSec"> {
  const { dataset, split, train, trained, saved } = state;
  const common = {
    runId,
    trigger,
    gates: state.gates ?? [],
    gatePass: state.gatePass ?? false,
    candles: state.candles,
    slippageMult: state.slippage?.mult,
    slippageMultReason: state.slippage?.reason,
    ...(dataset && { droppedRows: dataset.droppedRows }),
    stageMs,
  };
  if (end) return { ...common, ...end };
  if (!trained || !saved || !split || !train)
    throw new MlqError("RETRAIN_STAGE_ORDER", "the retrain stages ended without a trained and saved model set", false, {
      context: { stages: Object.keys(stageMs) },
    });
  return {
    ...common,
    outcome: "trained",
    success: true,
    message: `trained ${trained.models.length} models on ${train.length} rows (test ${split.test.length}); ${state.search ? `${searchText(state.search)}; ` : ""}${registeredText(trigger, saved.version, state.registered, state.search)}`,
    trainingRows: train.length,
    testRows: split.test.length,
    embargoHours: split.embargoHours,
    version: saved.version,
    modelDir: saved.versionDir,
    metrics: trained.metrics as unknown as RetrainSummary["metrics"],
    v1BacktestEstablished: state.v1BacktestEstablished ?? false,
    ...(state.search && { search: state.search }),
    ...(state.registered && { registered: state.registered }),
  };
}

function registeredText(trigger: RetrainTrigger, version: string, registered: RetrainState["registered"], search?: SearchOutcome): string {
  if (!registered && search && !search.passed && trigger !== "smoke")
    return `version ${version} saved, not registered: the direction winner's DSR ${search.deflated.dsr === null ? "is undefined" : search.deflated.dsr.toFixed(3)}${search.deflated.dsr === null ? "" : ` is below MLQ_SEARCH_MIN_DSR ${search.minDsr}`} (${trigger} run)`;
  if (!registered) return `version ${version} saved, not registered (${trigger} run)`;
  switch (registered.role) {
    case "champion":
      return `version ${version} is the first champion and the v1_backtest baseline (${trigger} run)`;
    case "challenger":
      return `version ${version} took the evaluation slot as challenger (v2_paper, α_k ${registered.alpha}; ${trigger} run)`;
    case "candidate":
      return `version ${version} registered as candidate, waiting for the evaluation slot (${trigger} run)`;
  }
}
