// The shape of a retrain stage: a named step that reads what earlier stages left in the run's
// state, adds its own part, and either lets the run go on or ends it with a result.
import { MlqError, type Logger } from "@mlq/core";
import type { Config } from "@mlq/config";
import type { Connection } from "@mlq/db";
import type { GateResult } from "@mlq/gates";
import type { Dataset } from "../dataset/build-dataset.js";
import type { SlippageMult } from "../dataset/cost.js";
import type { WalkForwardSplit } from "../dataset/walk-forward-split.js";
import type { SavedVersion } from "@mlq/registry";
import type { ModelSetResult } from "../train/index.js";
import type { TrainBaselines } from "../baselines/train-baselines.js";
import type { RetrainTrigger } from "./retrain-runs-store.js";
import type { CandleSeries } from "@mlq/market-data";
import type { CandidateTrainer } from "../search/candidate-trainer.js";
import type { SearchOutcome } from "./search-stage.js";

export type { RetrainTrigger } from "./retrain-runs-store.js";

export type RetrainOutcome = "trained" | "gates-failed" | "dry-run" | "insufficient-data" | "failed";

export interface CandleSummary {
  rowsWritten: number;
  ticksRead: number;
  skippedTicks: number;
  coverage: { symbol: string; rows: number; firstTsMs: number | null; lastTsMs: number | null }[];
}

/** What the stages have produced so far; each stage adds its part. */
export interface RetrainState {
  candles?: CandleSummary;
  slippage?: SlippageMult;
  /** Round-trip cost as a fraction (fees + slippage × 2 × mult), the direction label's hurdle. */
  costFraction?: number;
  gates?: GateResult[];
  gatePass?: boolean;
  dataset?: Dataset;
  /** The candles the dataset was built from (the search scores its validation bars on their closes). */
  candleSeries?: readonly CandleSeries[];
  split?: WalkForwardSplit;
  /** Train row indices after the row cap (newest first kept, still oldest first). */
  train?: Int32Array;
  /** The hyperparameter search's winners and the direction winner's Deflated Sharpe Ratio. */
  search?: SearchOutcome;
  trained?: ModelSetResult;
  /** Entry threshold, drift baseline, importance: computed by the train stage, written by save. */
  baselines?: TrainBaselines;
  saved?: SavedVersion;
  v1BacktestEstablished?: boolean;
  /** The role the register stage gave the new version (absent when it did not register). */
  registered?: { role: "champion" | "challenger" | "candidate"; alpha: number | null; skipped: string[] };
}

/** Everything a stage may use: the run's inputs, its row id, the shared state and a progress reporter. */
export interface StageContext {
  readonly conn: Connection;
  readonly config: Config;
  readonly modelsDir: string;
  readonly logger: Logger;
  readonly signal: AbortSignal | undefined;
  readonly nowMs: number;
  readonly jobId: string | null;
  readonly codeVersion: string | null;
  readonly trigger: RetrainTrigger;
  /** Trains the search's candidates; absent = worker threads in this process. */
  readonly candidateTrainer?: CandidateTrainer;
  /** The phase2_retrain_runs row of this run. */
  readonly runId: number;
  readonly state: RetrainState;
  /** Progress inside the stage, 0..100, mapped onto the stage's share of the whole run. */
  progress(pct: number, detail?: string): void;
}

/** A result that ends the run before training (recorded as status 'done', not thrown). */
export interface RetrainEnd {
  outcome: Exclude<RetrainOutcome, "trained" | "failed">;
  success: boolean;
  message: string;
}

export interface RetrainStage {
  /** Stage name: the progress stage, the key of `stageMs`. */
  readonly name: string;
  /** The share of the run's progress bar this stage covers, [from, to] in percent. */
  readonly progress: readonly [number, number];
  /** The run saves a checkpoint before this stage: it may suspend the run (hand work to child jobs) and continue in a later pass. */
  readonly checkpointBefore?: boolean;
  /** True when the stage does not apply to this run (e.g. no models-dir check on a dry run). */
  skip?(ctx: StageContext): boolean;
  run(ctx: StageContext): RetrainEnd | undefined | Promise<RetrainEnd | undefined>;
}

/** A state field an earlier stage must have produced; a stage list in the wrong order fails loudly. */
export function needState<K extends keyof RetrainState>(
  ctx: Pick<StageContext, "state">,
  key: K,
  stage: string,
): NonNullable<RetrainState[K]> {
  const value = ctx.state[key];
  if (value === undefined || value === null)
    throw new MlqError("RETRAIN_STAGE_ORDER", `retrain stage ${stage} needs ${key}, which no earlier stage produced`, false, {
      context: { stage, key },
    });
  return value as NonNullable<RetrainState[K]>;
}
