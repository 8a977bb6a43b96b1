// One model's unit of work: train on the train rows, predict the test rows.
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
}

export interface TrainTaskResult {
  name: string;
  bytes: Uint8Array;
  testPredictions: Float64Array;
  durationMs: number;
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
  return { name: task.name, bytes, testPredictions, durationMs: performance.now() - started };
}
