// Trains the five independent models of one retrain run (in worker threads by default)
// and scores each on the test rows. Measured on the shared 2-core box (load 13–14): five models,
// 60,000 train × 11 (+ 15,000 test predicted), 100 rounds, depth 4, hist: 12.9–14.8 s with 2
// worker threads (peak RSS 150 MB), 16.3 s in-process (102 MB); one model alone 0.8 s idle.
// A worker's wasm heap is ≈ 30 MB at 60k rows (≈ 135 MB at 500k).
import { availableParallelism } from "node:os";
import { InputDataError, MlqError, noProgress, throwIfAborted, type ProgressFn } from "@mlq/core";
import {
  checkBoosterParams,
  checkFinite,
  checkTrainingShape,
  loadInProcessBinding,
  toMlqError,
  XGBOOST_GLUE_PATH,
  type FloatArray,
} from "./booster.js";
import {
  directionMetrics,
  regressionMetrics,
  signedRegressionMetrics,
  type DirectionMetrics,
  type RegressionMetrics,
  type SignedRegressionMetrics,
} from "./metrics.js";
import { runTrainTask, type TrainTask, type TrainTaskResult } from "./train-task.js";
import { runTrainTasksInWorkers } from "./worker-pool.js";
import type { BoosterParams, XgbObjective } from "./xgboost-binding.js";

export const MODEL_NAMES = ["direction", "risk", "price", "momentum", "volatility"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export const MODEL_OBJECTIVES: Readonly<Record<ModelName, XgbObjective>> = Object.freeze({
  direction: "binary:logistic",
  risk: "reg:squarederror",
  price: "reg:squarederror",
  momentum: "reg:squarederror",
  volatility: "reg:squarederror",
});

/** Models whose target takes both signs; risk (adverse excursion) and volatility are never negative. */
export const SIGNED_TARGET_MODELS: ReadonlySet<ModelName> = new Set<ModelName>(["price", "momentum"]);

/** Test metrics of one model: classification metrics for direction, the hit rate only where the target takes both signs. */
export function modelTestMetrics(name: ModelName, y: ArrayLike<number>, predictions: ArrayLike<number>): DirectionMetrics | RegressionMetrics | SignedRegressionMetrics {
  if (name === "direction") return directionMetrics(y, predictions);
  return SIGNED_TARGET_MODELS.has(name) ? signedRegressionMetrics(y, predictions) : regressionMetrics(y, predictions);
}

export interface TrainModelSetInput {
  /** Row-major features of every dataset row, `rows * cols` values. */
  X: FloatArray;
  rows: number;
  cols: number;
  labels: Record<ModelName, Float64Array>;
  /** Dataset row indices of the train and test sets (from the walk-forward split). */
  train: Int32Array;
  test: Int32Array;
  params: BoosterParams;
  /** Per-model parameters that replace `params` (the search's winners). */
  paramsByModel?: Partial<Record<ModelName, BoosterParams>>;
  /** Worker threads; 0 trains in-process, one model after another. Default min(5, cores). */
  threads?: number;
  /** Training-row cap, checked before any wasm work. Default 500,000. */
  maxRows?: number;
  /**
   * One more matrix (row-major float32, `rows × cols`) that every model predicts right after training,
   * on its own thread with the booster it just built (the permutation-importance stack).
   */
  extraPredict?: { X: Float32Array; rows: number };
  signal?: AbortSignal;
  progress?: ProgressFn;
}

export interface TrainedModel {
  name: ModelName;
  objective: XgbObjective;
  bytes: Uint8Array;
}

export interface ModelSetMetrics {
  direction: DirectionMetrics;
  risk: RegressionMetrics;
  price: SignedRegressionMetrics;
  momentum: SignedRegressionMetrics;
  volatility: RegressionMetrics;
}

export interface ModelSetResult {
  models: TrainedModel[];
  metrics: ModelSetMetrics;
  /** Each model's predictions of the test rows (in `test` order). */
  testPredictions: Record<ModelName, Float64Array>;
  /** Each model's predictions of `extraPredict.X`, when given. */
  extraPredictions?: Record<ModelName, Float64Array>;
  trainRows: number;
  testRows: number;
  threads: number;
  /** `models`: train + predict per model; `extraPredict`: of that, predicting `extraPredict.X`. */
  durationsMs: { prepare: number; train: number; total: number; models: Record<ModelName, number>; extraPredict?: Record<ModelName, number> };
}

export function defaultTrainThreads(): number {
  return Math.min(MODEL_NAMES.length, availableParallelism());
}

export async function trainModelSet(input: TrainModelSetInput): Promise<ModelSetResult> {
  const started = performance.now();
  const progress = input.progress ?? noProgress;
  const threads = input.threads ?? defaultTrainThreads();
  if (!Number.isInteger(threads) || threads < 0) throw new InputDataError(`threads must be an integer >= 0, got ${threads}`);
  throwIfAborted(input.signal);

  const { rows, cols, train, test } = input;
  checkTrainingShape(train.length, cols, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, input.maxRows);
  if (input.X.length < rows * cols) {
    throw new InputDataError(`feature matrix has ${input.X.length} values, ${rows} rows x ${cols} columns need ${rows * cols}`);
  }
  if (test.length < 1) throw new InputDataError("test set is empty; the walk-forward split left no rows after the embargo");
  checkBoosterParams(input.params);
  for (const params of Object.values(input.paramsByModel ?? {})) checkBoosterParams(params);
  checkIndices(train, rows, "train");
  checkIndices(test, rows, "test");

  const Xtrain = gatherRows(input.X, cols, train, "training features");
  const Xtest = gatherRows(input.X, cols, test, "test features");
  const extra = input.extraPredict;
  if (extra) {
    if (!Number.isInteger(extra.rows) || extra.rows < 1 || extra.X.length < extra.rows * cols) {
      throw new InputDataError(`extra prediction matrix has ${extra.X.length} values, ${extra.rows} rows x ${cols} columns need ${extra.rows * cols}`);
    }
    checkFinite(extra.X, extra.rows * cols, cols, "extra prediction features");
  }
  const tasks: TrainTask[] = MODEL_NAMES.map((name) => {
    const labels = input.labels[name];
    if (!labels) throw new InputDataError(`labels for model ${name} are missing`);
    if (labels.length < rows) throw new InputDataError(`labels for model ${name} have ${labels.length} values for ${rows} rows`);
    const y = new Float32Array(train.length);
    for (let i = 0; i < train.length; i++) y[i] = labels[train[i] ?? 0] ?? Number.NaN;
    checkFinite(y, y.length, 1, `${name} training labels`);
    if (name === "direction" && y.some((v) => v !== 0 && v !== 1)) {
      throw new InputDataError("direction labels must be 0 or 1");
    }
    return {
      name,
      objective: MODEL_OBJECTIVES[name],
      params: input.paramsByModel?.[name] ?? input.params,
      X: Xtrain,
      y,
      rows: train.length,
      cols,
      Xtest,
      testRows: test.length,
      ...(extra ? { Xextra: extra.X, extraRows: extra.rows } : {}),
    };
  });
  const testLabels = Object.fromEntries(
    MODEL_NAMES.map((name) => [name, Float64Array.from(test, (row) => input.labels[name][row] ?? Number.NaN)]),
  ) as Record<ModelName, Float64Array>;
  for (const name of MODEL_NAMES) checkFinite(testLabels[name], test.length, 1, `${name} test labels`);
  const prepared = performance.now();

  const onResult = (result: TrainTaskResult, done: number, total: number): void => {
    progress({ stage: "train", pct: Math.round((done / total) * 100), detail: `model ${done}/${total} (${result.name})` });
  };
  progress({ stage: "train", pct: 0, detail: `model 0/${tasks.length}` });
  const results = await runTrainTasks(tasks, { threads, signal: input.signal, onResult });
  const trained = performance.now();

  const metricsByName: Record<string, DirectionMetrics | RegressionMetrics> = {};
  const modelMs: Record<string, number> = {};
  const testPredictions: Record<string, Float64Array> = {};
  const extraPredictions: Record<string, Float64Array> = {};
  const extraMs: Record<string, number> = {};
  for (const result of results) {
    const name = result.name as ModelName;
    const y = testLabels[name];
    metricsByName[name] = modelTestMetrics(name, y, result.testPredictions);
    modelMs[name] = Math.round(result.durationMs);
    testPredictions[name] = result.testPredictions;
    if (extra) {
      if (result.extraPredictions?.length !== extra.rows) throw new MlqError("TRAIN_WORKER", `model ${name}: no predictions of the extra matrix came back`, false);
      extraPredictions[name] = result.extraPredictions;
      extraMs[name] = Math.round(result.extraMs ?? 0);
    }
  }
  return {
    models: results.map((r) => ({ name: r.name as ModelName, objective: MODEL_OBJECTIVES[r.name as ModelName], bytes: r.bytes })),
    metrics: metricsByName as unknown as ModelSetMetrics,
    testPredictions: testPredictions as Record<ModelName, Float64Array>,
    ...(extra ? { extraPredictions: extraPredictions as Record<ModelName, Float64Array> } : {}),
    trainRows: train.length,
    testRows: test.length,
    threads,
    durationsMs: {
      prepare: Math.round(prepared - started),
      train: Math.round(trained - prepared),
      total: Math.round(performance.now() - started),
      models: modelMs as Record<ModelName, number>,
      ...(extra ? { extraPredict: extraMs as Record<ModelName, number> } : {}),
    },
  };
}

/** Runs train tasks on `threads` worker threads, or one after another in-process when 0; results in task order. */
export async function runTrainTasks(
  tasks: TrainTask[],
  options: { threads: number; signal?: AbortSignal; onResult?: (result: TrainTaskResult, done: number, total: number) => void },
): Promise<TrainTaskResult[]> {
  const onResult = options.onResult ?? (() => undefined);
  return options.threads === 0
    ? trainInProcess(tasks, options.signal, onResult)
    : runTrainTasksInWorkers(tasks, { threads: options.threads, gluePath: XGBOOST_GLUE_PATH, signal: options.signal, onResult });
}

async function trainInProcess(
  tasks: TrainTask[],
  signal: AbortSignal | undefined,
  onResult: (result: TrainTaskResult, done: number, total: number) => void,
): Promise<TrainTaskResult[]> {
  const binding = await loadInProcessBinding();
  const results: TrainTaskResult[] = [];
  for (const task of tasks) {
    throwIfAborted(signal);
    try {
      results.push(runTrainTask(binding, task));
    } catch (err) {
      const failure = toMlqError(err, "training");
      throw new MlqError(failure.code, `model ${task.name}: ${failure.message}`, false, { cause: err });
    }
    onResult(results[results.length - 1] as TrainTaskResult, results.length, tasks.length);
  }
  return results;
}

function checkIndices(indices: Int32Array, rows: number, what: string): void {
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i] ?? -1;
    if (row < 0 || row >= rows) throw new InputDataError(`${what} index ${i} points at row ${row}, dataset has ${rows} rows`);
  }
}

/** Copies the chosen rows into a float32 matrix on shared memory, so workers read it without copies. */
export function gatherRows(X: FloatArray, cols: number, indices: Int32Array, what: string): Float32Array {
  const out = new Float32Array(
    new SharedArrayBuffer(Math.max(1, indices.length * cols) * Float32Array.BYTES_PER_ELEMENT),
    0,
    indices.length * cols,
  );
  for (let i = 0; i < indices.length; i++) {
    const from = (indices[i] ?? 0) * cols;
    for (let c = 0; c < cols; c++) out[i * cols + c] = X[from + c] ?? Number.NaN;
  }
  checkFinite(out, out.length, cols, what);
  return out;
}
