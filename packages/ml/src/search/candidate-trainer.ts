// The port between the search and whatever trains its candidates: "train these (model × candidate)
// boosters on this data, give me each one's validation predictions". ml stays free of the queue layer:
// `--local` uses the in-process trainer below; the retrain worker supplies a BullMQ flow behind the same port.
import { hostname } from "node:os";
import { InputDataError, throwIfAborted } from "@mlq/core";
import { MODEL_NAMES, MODEL_OBJECTIVES, runTrainTasks, type ModelName } from "../train/model-set.js";
import { XGBOOST_GLUE_PATH } from "../train/booster.js";
import { createTrainThread, type TrainThread } from "../train/worker-pool.js";
import type { TrainTask, TrainTaskResult } from "../train/train-task.js";
import type { BoosterParams } from "../train/xgboost-binding.js";

/** The matrices every candidate reads: inner-train features and labels, inner-validation features (row-major float32). */
export interface CandidateData {
  cols: number;
  rows: number;
  X: Float32Array;
  labels: Record<ModelName, Float32Array>;
  validationRows: number;
  Xvalidation: Float32Array;
}

export interface CandidateSpec {
  /** Unique within one search: `<model>-<candidate>`. */
  key: string;
  model: ModelName;
  candidate: number;
  params: BoosterParams;
}

export interface CandidateOutcome {
  key: string;
  model: ModelName;
  candidate: number;
  /** Predictions of every validation row, in the data's order. */
  predictions: Float64Array;
  /** Training + prediction time on the host that ran it. */
  seconds: number;
  host: string;
}

export interface CandidateTrainer {
  /** "in-process" or "flow": recorded with the run. */
  readonly kind: string;
  train(
    data: CandidateData,
    specs: readonly CandidateSpec[],
    options?: {
      signal?: AbortSignal;
      onResult?: (done: number, total: number) => void;
      /** The retrain run the search belongs to (a flow names its children after it). */
      runId?: number;
    },
  ): Promise<CandidateOutcome[]>;
}

export function candidateKey(model: ModelName, candidate: number): string {
  return `${model}-${candidate}`;
}

/** Checks the shapes a trainer relies on; a child of the flow runs it too before training. */
export function checkCandidateData(data: CandidateData): void {
  const { cols, rows, validationRows } = data;
  if (!(Number.isInteger(cols) && cols > 0 && Number.isInteger(rows) && rows > 0 && Number.isInteger(validationRows) && validationRows > 0))
    throw new InputDataError(`candidate data: bad shape rows ${rows}, validation rows ${validationRows}, cols ${cols}`);
  if (data.X.length !== rows * cols)
    throw new InputDataError(`candidate data: train matrix has ${data.X.length} values, ${rows} × ${cols} expected`);
  if (data.Xvalidation.length !== validationRows * cols)
    throw new InputDataError(
      `candidate data: validation matrix has ${data.Xvalidation.length} values, ${validationRows} × ${cols} expected`,
    );
  for (const name of MODEL_NAMES) {
    const y = data.labels[name];
    if (y?.length !== rows) throw new InputDataError(`candidate data: ${name} labels have ${y?.length ?? 0} values for ${rows} rows`);
  }
}

/** One spec as a worker-pool task (its booster bytes are dropped: the winner is refit on the whole outer train). */
export function candidateTask(data: CandidateData, spec: CandidateSpec): TrainTask {
  return {
    name: spec.key,
    objective: MODEL_OBJECTIVES[spec.model],
    params: spec.params,
    X: data.X,
    y: data.labels[spec.model],
    rows: data.rows,
    cols: data.cols,
    Xtest: data.Xvalidation,
    testRows: data.validationRows,
  };
}

/** A trained task as the search's outcome: its validation predictions, its own training seconds, the host. */
function candidateOutcome(spec: CandidateSpec, r: TrainTaskResult, host: string): CandidateOutcome {
  return {
    key: spec.key,
    model: spec.model,
    candidate: spec.candidate,
    predictions: r.testPredictions,
    seconds: r.durationMs / 1000,
    host,
  };
}

/** Trains the candidates on this process's worker threads (0 = one after another on this thread). */
export function inProcessCandidateTrainer(options: { threads: number; host?: string }): CandidateTrainer {
  const host = options.host ?? hostname();
  return {
    kind: "in-process",
    async train(data, specs, { signal, onResult } = {}) {
      checkCandidateData(data);
      throwIfAborted(signal);
      const tasks = specs.map((spec) => candidateTask(data, spec));
      const results = await runTrainTasks(tasks, {
        threads: options.threads,
        signal,
        onResult: (_r, done, total) => onResult?.(done, total),
      });
      return results.map((r, i) => candidateOutcome(specs[i]!, r, host));
    },
  };
}

/**
 * Trains candidates one after another on one long-lived thread (a worker-train host: one candidate per
 * job, so the thread and its WebAssembly instance outlive the job). Same results as the in-process trainer.
 */
export function threadCandidateTrainer(
  options: { host?: string; thread?: TrainThread } = {},
): CandidateTrainer & { close(): Promise<void> } {
  const host = options.host ?? hostname();
  const thread = options.thread ?? createTrainThread(XGBOOST_GLUE_PATH);
  return {
    kind: "thread",
    async train(data, specs, { signal, onResult } = {}) {
      checkCandidateData(data);
      const out: CandidateOutcome[] = [];
      for (const spec of specs) {
        throwIfAborted(signal);
        const r = await thread.run(candidateTask(data, spec), signal);
        out.push(candidateOutcome(spec, r, host));
        onResult?.(out.length, specs.length);
      }
      return out;
    },
    close: () => thread.close(),
  };
}
