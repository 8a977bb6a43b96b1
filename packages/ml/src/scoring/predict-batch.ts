// Batch prediction for scoring (shadow evaluation, drift, serving): small batches in the calling
// thread, large ones on a one-shot worker thread so a job's lock keeps renewing while it scores.
import { Worker } from "node:worker_threads";
import { AbortedError, InputDataError, MlqError, throwIfAborted } from "@mlq/core";
import { checkFinite, predict, toFloat32, XGBOOST_GLUE_PATH, type FloatArray } from "../train/booster.js";
import { createXgbBinding, loadXgbModule } from "../train/xgboost-binding.js";

/**
 * Batches of at least this many rows are scored on a worker thread. Below it the calling thread
 * scores in place: 20,000 rows of a 100-round depth-4 booster take ≈ 70 ms, less than starting a
 * worker and its WebAssembly instance (≈ 150 ms).
 */
export const DEFAULT_WORKER_MIN_ROWS = 50_000;

export interface PredictBatchOptions {
  readonly signal?: AbortSignal;
  /** Rows from which a worker thread scores; default DEFAULT_WORKER_MIN_ROWS (0 = always a worker). */
  readonly workerMinRows?: number;
}

/** Predicts every row of `X` (row-major, `rows × cols`) with one serialized booster. */
export async function predictBatch(
  modelBytes: Uint8Array,
  X: FloatArray,
  rows: number,
  cols: number,
  options: PredictBatchOptions = {},
): Promise<Float64Array> {
  throwIfAborted(options.signal);
  if (rows === 0) return new Float64Array(0);
  if (rows < (options.workerMinRows ?? DEFAULT_WORKER_MIN_ROWS)) return predict(modelBytes, X, rows, cols);
  if (modelBytes.length === 0) throw new InputDataError("model bytes are empty");
  if (X.length < rows * cols) throw new InputDataError(`prediction matrix has ${X.length} values, expected ${rows} × ${cols}`);
  checkFinite(X, rows * cols, cols, "prediction features");
  return predictInWorker(modelBytes, toFloat32(X, rows * cols), rows, cols, options.signal);
}

function workerSource(gluePath: string): string {
  return `"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const loadXgbModule = ${loadXgbModule.toString()};
const createXgbBinding = ${createXgbBinding.toString()};
(async () => {
  try {
    const binding = createXgbBinding(await loadXgbModule(require, ${JSON.stringify(gluePath)}));
    const out = binding.predict(workerData.bytes, workerData.X, workerData.rows, workerData.cols);
    parentPort.postMessage({ ok: true, out }, [out.buffer]);
  } catch (err) {
    parentPort.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
  }
})();
`;
}

async function predictInWorker(
  bytes: Uint8Array,
  X: Float32Array,
  rows: number,
  cols: number,
  signal?: AbortSignal,
): Promise<Float64Array> {
  const worker = new Worker(workerSource(XGBOOST_GLUE_PATH), { eval: true, workerData: { bytes, X, rows, cols } });
  let detach = (): void => undefined;
  try {
    return await new Promise<Float64Array>((resolve, reject) => {
      const onAbort = (): void => reject(new AbortedError("scoring aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      detach = () => signal?.removeEventListener("abort", onAbort);
      worker.once("message", (reply: { ok: boolean; out?: Float64Array; message?: string }) => {
        if (reply.ok && reply.out) resolve(reply.out);
        else
          reject(
            new MlqError("XGBOOST_WASM", `prediction of ${rows} rows on a worker thread failed: ${reply.message ?? "no result"}`, false),
          );
      });
      worker.once("error", (err) =>
        reject(new MlqError("XGBOOST_WASM", `prediction worker crashed: ${err.message}`, false, { cause: err })),
      );
      worker.once("exit", (code) =>
        reject(new MlqError("XGBOOST_WASM", `prediction worker exited with code ${code} before answering`, false)),
      );
    });
  } finally {
    detach();
    await worker.terminate();
  }
}
