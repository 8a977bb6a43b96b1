// The retrain as a list of named stages, each timed, each with its share of the progress bar,
// and exactly one phase2_retrain_runs row per attempt (success or failure).
import { errorMessage, isSuspended, MlqError, noProgress, silentLogger, throwIfAborted, type Logger, type ProgressFn } from "@mlq/core";
import type { Config } from "@mlq/config";
import type { Connection } from "@mlq/db";
import type { GateResult } from "@mlq/gates";
import { candlesStage } from "./candles-stage.js";
import { checkInputStage, checkModelsDirStage } from "./check-stages.js";
import { featuresStage, splitStage } from "./dataset-stages.js";
import { costStage, gatesStage } from "./gate-stages.js";
import { registerStage, saveStage } from "./registry-stages.js";
import { closeRetrainRun, failRetrainRun, isRunOpen, openRetrainRun } from "./retrain-runs-store.js";
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
  /**
   * Saves the run's checkpoint where the next pass of the same job finds it (the job's data); null
   * clears it. Called before a stage that may suspend the run (the search, when its candidates train
   * as child jobs) and with null when the run fails, so a retry starts afresh.
   */
  checkpoint?: (c: RetrainCheckpoint | null) => Promise<void>;
  /** The checkpoint a previous pass of this job saved: the run continues from it instead of starting over. */
  resume?: unknown;
  /**
   * A slot the caller keeps across passes in one process (the retrain worker): a suspended run leaves
   * its dataset here, and a resumed pass of the same run in the same process takes it instead of
   * rebuilding features and split. Another process rebuilds them (same result).
   */
  memo?: { current?: RetrainMemo };
}

/** What a suspended run keeps in its process's memory (too large for a checkpoint). */
export interface RetrainMemo {
  runId: number;
  state: Pick<RetrainState, "dataset" | "candleSeries" | "split" | "train">;
  stageMs: Record<string, number>;
}

/**
 * What a suspended retrain needs to continue in a new pass: its run row, its clock, and what the
 * stages before the checkpoint produced (small; the dataset is rebuilt from the candles up to nowMs).
 */
export interface RetrainCheckpoint {
  v: 1;
  runId: number;
  nowMs: number;
  /** Epoch ms when the first pass started: durationSec spans every pass and the waits between them. */
  startedAtMs: number;
  trigger: RetrainTrigger;
  /** The stage the run continues at, and when it started (its time in stageMs spans the wait for the children). */
  step: string;
  atMs: number;
  /** Stages that ran before the checkpoint and are not run again, with their times. */
  stageMs: Record<string, number>;
  state: Pick<RetrainState, "candles" | "slippage" | "costFraction" | "gates" | "gatePass">;
}

/** The checkpoint if `raw` is one this code wrote for `trigger`, else null (the run then starts afresh). */
export function parseRetrainCheckpoint(raw: unknown, trigger: RetrainTrigger): RetrainCheckpoint | null {
  const c = raw as Partial<RetrainCheckpoint> | null | undefined;
  if (!c || typeof c !== "object" || c.v !== 1 || c.trigger !== trigger) return null;
  if (
    !Number.isInteger(c.runId) ||
    !Number.isFinite(c.nowMs) ||
    !Number.isFinite(c.startedAtMs) ||
    typeof c.step !== "string" ||
    !Number.isFinite(c.atMs)
  )
    return null;
  if (!c.stageMs || typeof c.stageMs !== "object" || !c.state || typeof c.state !== "object") return null;
  return c as RetrainCheckpoint;
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

/** Stages a resumed pass runs again: their output (the dataset) is too large for a checkpoint and is rebuilt from the candles up to nowMs. */
const RESUME_REBUILDS = new Set(["features", "split"]);

function pick(o: Record<string, number>, keys: ReadonlySet<string>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => keys.has(k)));
}

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
  // A pass that resumes a checkpoint keeps its run row and clock, unless that row was closed meanwhile.
  const parsed = parseRetrainCheckpoint(deps.resume, trigger);
  const resume = parsed && isRunOpen(conn, parsed.runId, deps.jobId ?? null) ? parsed : null;
  if (deps.resume !== undefined && deps.resume !== null && !resume)
    logger.warn("retrain checkpoint not usable (other trigger, closed run or unknown format): starting afresh", {});
  const nowMs = resume?.nowMs ?? deps.nowMs ?? Date.now();
  const startedAtMs = resume?.startedAtMs ?? Date.now();
  const seconds = (): number => (Date.now() - startedAtMs) / 1000;
  const runId =
    resume?.runId ??
    openRetrainRun(conn, {
      nowMs,
      jobId: deps.jobId ?? null,
      trigger,
      volPercentileLo: config.gates.volPercentileLo,
      volPercentileHi: config.gates.volPercentileHi,
    });
  const state: RetrainState = resume ? { ...resume.state } : {};
  const stageMs: Record<string, number> = resume ? { ...resume.stageMs } : {};
  const memo = resume && deps.memo?.current?.runId === resume.runId ? deps.memo.current : undefined;
  if (deps.memo) delete deps.memo.current;
  if (memo) {
    Object.assign(state, memo.state);
    Object.assign(stageMs, memo.stageMs);
  }
  if (resume)
    logger.info("retrain resumed from its checkpoint", {
      runId,
      step: resume.step,
      dataset: memo ? "kept in memory by this process" : "rebuilt from the candles closed by its clock",
    });
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
      if (resume && (stage.name in resume.stageMs || (memo && stage.name in memo.stageMs))) continue;
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
      if (stage.checkpointBefore && deps.checkpoint && !resume) {
        const done = Object.fromEntries(Object.entries(stageMs).filter(([name]) => !RESUME_REBUILDS.has(name)));
        const { candles, slippage, costFraction, gates, gatePass } = state;
        await deps.checkpoint({
          v: 1,
          runId,
          nowMs,
          startedAtMs,
          trigger,
          step: stage.name,
          atMs: Date.now(),
          stageMs: done,
          state: { candles, slippage, costFraction, gates, gatePass },
        });
      }
      const t0 = performance.now();
      try {
        end = await stage.run(ctx);
      } finally {
        // The stage a resumed run continues at counts from its start in the first pass (the wait included).
        stageMs[stage.name] = resume?.step === stage.name ? Date.now() - resume.atMs : Math.round(performance.now() - t0);
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
    if (isSuspended(err)) {
      if (deps.memo) {
        const { dataset, candleSeries, split, train } = state;
        deps.memo.current = { runId, state: { dataset, candleSeries, split, train }, stageMs: pick(stageMs, RESUME_REBUILDS) };
      }
      logger.info("retrain suspended: waiting for its search candidates", { runId, reason: msg });
      throw err;
    }
    try {
      await deps.checkpoint?.(null);
    } catch (cpErr) {
      logger.warn("could not clear the retrain checkpoint", { runId, error: errorMessage(cpErr) });
    }
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
