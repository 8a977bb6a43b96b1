// One model's unit of work: train on the train rows, predict the test rows (and, when given, one more
// matrix with the same fresh booster: the permutation-importance stack).
// SELF-CONTAINED like the binding: its source text also runs inside worker threads.
import type { BoosterParams, XgbBinding, XgbObjective } from "./xgboost-binding.js";

export interface TrainTask {
  name: string;
  objective: XgbObjective;
  params: BoosterParams;
  /** Train matrix (row-major float32, usually on a SharedArrayBuffer). */
  X: Float32Array;
  y: Float32Array;
  rows: number;
  cols: number;
  Xtest: Float32Array;
  testRows: number;
  /** Another matrix to predict after training, same `cols` (row-major float32, usually shared). */
  Xextra?: Float32Array;
  extraRows?: number;
}

export interface TrainTaskResult {
  name: string;
  bytes: Uint8Array;
  testPredictions: Float64Array;
  extraPredictions?: Float64Array;
  durationMs: number;
  /** Of `durationMs`, the time spent predicting `Xextra`. */
  extraMs?: number;
}

export function runTrainTask(binding: XgbBinding, task: TrainTask): TrainTaskResult {
  const started = performance.now();
  const bytes = binding.train({
    X: task.X,
    y: task.y,
    rows: task.rows,
    cols: task.cols,
    objective: task.objective,
    params: task.params,
  });
  const testPredictions = binding.predict(bytes, task.Xtest, task.testRows, task.cols);
  if (!task.Xextra || !task.extraRows) return { name: task.name, bytes, testPredictions, durationMs: performance.now() - started };
  const extraStarted = performance.now();
  const extraPredictions = binding.predict(bytes, task.Xextra, task.extraRows, task.cols);
  const done = performance.now();
  return { name: task.name, bytes, testPredictions, extraPredictions, durationMs: done - started, extraMs: done - extraStarted };
}
