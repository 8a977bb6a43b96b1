// Runs train tasks on a small pool of worker threads, each with its own wasm instance.
// The workers are `eval` workers built from the source text of the self-contained
// binding functions, so the same code runs from `dist/*.js` and from `.ts` under vitest
// (a worker thread cannot load TypeScript) without a separate hand-written JS file.
import { Worker } from "node:worker_threads";
import { AbortedError, MlqError, throwIfAborted } from "@mlq/core";
import { createXgbBinding, loadXgbModule } from "./xgboost-binding.js";
import { runTrainTask, type TrainTask, type TrainTaskResult } from "./train-task.js";

export interface WorkerPoolOptions {
  threads: number;
  gluePath: string;
  signal?: AbortSignal;
  onResult?: (result: TrainTaskResult, done: number, total: number) => void;
}

interface WorkerReply {
  ok: boolean;
  result?: TrainTaskResult;
  message?: string;
  wasm?: boolean;
}

export function workerSource(gluePath: string): string {
  return `"use strict";
const { parentPort } = require("node:worker_threads");
const loadXgbModule = ${loadXgbModule.toString()};
const createXgbBinding = ${createXgbBinding.toString()};
const runTrainTask = ${runTrainTask.toString()};
const gluePath = ${JSON.stringify(gluePath)};
let binding;
parentPort.on("message", async (task) => {
  try {
    if (!binding || binding.poisoned) binding = createXgbBinding(await loadXgbModule(require, gluePath));
    const result = runTrainTask(binding, task);
    const transfer = [result.bytes.buffer, result.testPredictions.buffer];
    if (result.extraPredictions) transfer.push(result.extraPredictions.buffer);
    parentPort.postMessage({ ok: true, result }, transfer);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    parentPort.postMessage({ ok: false, message, wasm: Boolean(err && err.xgbWasm) });
  }
});
`;
}

/** Trains every task, at most `threads` at a time; results come back in task order. */
export async function runTrainTasksInWorkers(tasks: TrainTask[], options: WorkerPoolOptions): Promise<TrainTaskResult[]> {
  throwIfAborted(options.signal);
  const source = workerSource(options.gluePath);
  const workerCount = Math.max(1, Math.min(options.threads, tasks.length));
  const workers: Worker[] = [];
  const results: TrainTaskResult[] = new Array<TrainTaskResult>(tasks.length);
  let next = 0;
  let done = 0;
  let detachAbort = (): void => undefined;

  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      const onAbort = (): void => {
        const reason: unknown = options.signal?.reason;
        fail(new AbortedError(`training aborted: ${reason instanceof Error ? reason.message : String(reason ?? "aborted")}`));
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      detachAbort = () => options.signal?.removeEventListener("abort", onAbort);

      const feed = (worker: Worker): void => {
        if (settled) return;
        if (next >= tasks.length) return;
        const index = next++;
        const task = tasks[index] as TrainTask;
        worker.once("message", (reply: WorkerReply) => {
          if (settled) return;
          if (!reply.ok || !reply.result) {
            const code = reply.wasm ? "XGBOOST_WASM" : "TRAIN_WORKER";
            fail(new MlqError(code, `model ${task.name}: ${reply.message ?? "worker failed"}`, false));
            return;
          }
          results[index] = reply.result;
          done++;
          try {
            options.onResult?.(reply.result, done, tasks.length);
          } catch (err) {
            fail(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          if (done === tasks.length) {
            settled = true;
            resolve();
          } else {
            feed(worker);
          }
        });
        worker.postMessage(task);
      };

      for (let i = 0; i < workerCount; i++) {
        const worker = new Worker(source, { eval: true });
        worker.on("error", (err) => fail(new MlqError("TRAIN_WORKER", `training worker crashed: ${err.message}`, false, { cause: err })));
        worker.on("exit", (code) => {
          if (!settled) fail(new MlqError("TRAIN_WORKER", `training worker exited with code ${code} before finishing`, false));
        });
        workers.push(worker);
        feed(worker);
      }
    });
  } finally {
    detachAbort();
    // Terminating is the only way to stop a synchronous wasm call mid-training.
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return results;
}

/** One long-lived training thread: its WebAssembly instance is loaded once, not per task. */
export interface TrainThread {
  /** Trains one task (tasks queue up, one at a time); an abort terminates the thread (the next task starts a new one). */
  run(task: TrainTask, signal?: AbortSignal): Promise<TrainTaskResult>;
  close(): Promise<void>;
}

/**
 * A training thread that stays up between tasks, for a process that trains one task per job (a
 * worker-train host): starting a thread and instantiating XGBoost's WebAssembly costs ~140 ms a call.
 */
export function createTrainThread(gluePath: string): TrainThread {
  const source = workerSource(gluePath);
  let worker: Worker | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const stop = async (): Promise<void> => {
    const w = worker;
    worker = undefined;
    await w?.terminate();
  };
  const runOne = (task: TrainTask, signal?: AbortSignal): Promise<TrainTaskResult> =>
    new Promise<TrainTaskResult>((resolve, reject) => {
      throwIfAborted(signal);
      if (!worker) {
        worker = new Worker(source, { eval: true });
        // An idle training thread must not keep the process alive.
        worker.unref();
      }
      const w = worker;
      const cleanup = (): void => {
        w.off("message", onMessage);
        w.off("error", onError);
        w.off("exit", onExit);
        signal?.removeEventListener("abort", onAbort);
      };
      const onMessage = (reply: WorkerReply): void => {
        cleanup();
        if (reply.ok && reply.result) resolve(reply.result);
        else
          reject(
            new MlqError(reply.wasm ? "XGBOOST_WASM" : "TRAIN_WORKER", `model ${task.name}: ${reply.message ?? "worker failed"}`, false),
          );
      };
      const onError = (err: Error): void => {
        cleanup();
        if (worker === w) worker = undefined;
        reject(new MlqError("TRAIN_WORKER", `training worker crashed: ${err.message}`, false, { cause: err }));
      };
      const onExit = (code: number): void => {
        cleanup();
        if (worker === w) worker = undefined;
        reject(new MlqError("TRAIN_WORKER", `training worker exited with code ${code} before finishing`, false));
      };
      const onAbort = (): void => {
        cleanup();
        const reason: unknown = signal?.reason;
        // Terminating is the only way to stop a synchronous wasm call mid-training.
        void stop();
        reject(new AbortedError(`training aborted: ${reason instanceof Error ? reason.message : String(reason ?? "aborted")}`));
      };
      w.on("message", onMessage);
      w.on("error", onError);
      w.on("exit", onExit);
      signal?.addEventListener("abort", onAbort, { once: true });
      w.postMessage(task);
    });
  return {
    run(task, signal) {
      const p = queue.then(() => runOne(task, signal));
      queue = p.catch(() => undefined);
      return p;
    },
    async close() {
      await queue;
      await stop();
    },
  };
}
