// Runs aggregateTickSlice over consecutive rowid ranges on worker threads, each with its own
// read-only connection, and hands the partials to the caller strictly in rowid order. At most
// `maxAhead` slices are computed beyond the one being merged, so memory stays bounded whatever
// the table size. Like the training pool in @mlq/ml, the workers are `eval` workers built from
// the function's source text, so the same code runs from dist/*.js and from .ts under vitest.
import { Worker } from "node:worker_threads";
import { isTransientSqliteError, MlqError, throwIfAborted, TransientDbError } from "@mlq/core";
import { DEFAULT_BUSY_TIMEOUT_MS, SQLITE_DRIVER_PATH, type Sqlite } from "@mlq/db";
import { aggregateTickSlice, partialBuffers, type TickSlicePartial } from "./tick-slice.js";

/** Rowids afterRowid < rowid ≤ throughRowid. */
export interface TickSliceRange {
  afterRowid: number;
  throughRowid: number;
}

export interface TickSlicePoolOptions {
  /** Worker threads (at least 1). */
  threads: number;
  dbPath: string;
  /** Ticks per read query inside a slice. */
  readChunk: number;
  /** Slices computed beyond the one being merged, at most. Default 2 × threads. */
  maxAhead?: number;
  signal?: AbortSignal;
  /** Run the slices on this connection, one event-loop turn each, instead of worker threads (tests). */
  inProcess?: Sqlite;
}

interface SliceTask extends TickSliceRange {
  index: number;
  readChunk: number;
}

type SliceReply = { ok: true; index: number; partial: TickSlicePartial } | { ok: false; index: number; message: string; code?: string };

/** The minimal face of a worker thread the pool needs (a real Worker, or an in-process stand-in). */
interface SliceThread {
  run(task: SliceTask): void;
  onReply(fn: (reply: SliceReply) => void): void;
  onFailure(fn: (err: Error) => void): void;
  terminate(): Promise<unknown>;
}

export function tickSliceWorkerSource(): string {
  return `"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driverPath);
const aggregateTickSlice = ${aggregateTickSlice.toString()};
const partialBuffers = ${partialBuffers.toString()};
let db;
parentPort.on("message", (task) => {
  try {
    if (!db) {
      db = new Database(workerData.dbPath, { readonly: true, fileMustExist: true });
      db.pragma("busy_timeout = " + workerData.busyTimeoutMs);
    }
    const partial = aggregateTickSlice(db, task.afterRowid, task.throughRowid, task.readChunk);
    parentPort.postMessage({ ok: true, index: task.index, partial }, partialBuffers(partial));
  } catch (err) {
    parentPort.postMessage({ ok: false, index: task.index, message: String(err && err.message ? err.message : err), code: err && err.code });
  }
});
`;
}

function workerThread(source: string, dbPath: string): SliceThread {
  const worker = new Worker(source, { eval: true, workerData: { driverPath: SQLITE_DRIVER_PATH, dbPath, busyTimeoutMs: DEFAULT_BUSY_TIMEOUT_MS } });
  return {
    run: (task) => worker.postMessage(task),
    onReply: (fn) => worker.on("message", fn),
    onFailure: (fn) => {
      worker.on("error", (err) => fn(new MlqError("CANDLE_WORKER", `candle worker thread crashed on ${dbPath}: ${err.message}`, false, { cause: err })));
      worker.on("exit", (code) => fn(new MlqError("CANDLE_WORKER", `candle worker thread exited with code ${code} on ${dbPath}`, false)));
    },
    terminate: () => worker.terminate(),
  };
}

function inProcessThread(sqlite: Sqlite): SliceThread {
  let reply: (r: SliceReply) => void = () => undefined;
  let closed = false;
  return {
    run: (task) =>
      setImmediate(() => {
        if (closed) return;
        try {
          reply({ ok: true, index: task.index, partial: aggregateTickSlice(sqlite, task.afterRowid, task.throughRowid, task.readChunk) });
        } catch (err) {
          reply({ ok: false, index: task.index, message: (err as Error).message, code: (err as { code?: string }).code });
        }
      }),
    onReply: (fn) => {
      reply = fn;
    },
    onFailure: () => undefined,
    terminate: async () => {
      closed = true;
    },
  };
}

/**
 * Computes every slice and awaits `onSlice` for each in order (slice i only after slices
 * 0..i-1 have settled). `onSlice` runs on the calling thread; if it throws, or a worker fails,
 * or `signal` aborts, the workers are terminated and the promise rejects — after the `onSlice`
 * in progress, if any, has settled.
 */
export async function forEachTickSlice(
  slices: readonly TickSliceRange[],
  options: TickSlicePoolOptions,
  onSlice: (partial: TickSlicePartial, index: number) => void | Promise<void>,
): Promise<void> {
  if (slices.length === 0) return;
  const threadCount = Math.max(1, Math.min(options.threads, slices.length));
  const maxAhead = Math.max(threadCount, options.maxAhead ?? 2 * threadCount);
  const source = options.inProcess ? "" : tickSliceWorkerSource();
  const threads: SliceThread[] = [];
  let detachAbort = (): void => undefined;
  let draining: Promise<void> = Promise.resolve();
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      let nextToRun = 0;
      let nextToMerge = 0;
      const ready = new Map<number, TickSlicePartial>();
      const idle: SliceThread[] = [];
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      const onAbort = (): void => {
        try {
          throwIfAborted(options.signal);
        } catch (err) {
          fail(err as Error);
        }
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      detachAbort = () => options.signal?.removeEventListener("abort", onAbort);

      const dispatch = (): void => {
        while (!settled && idle.length > 0 && nextToRun < slices.length && nextToRun < nextToMerge + maxAhead) {
          const index = nextToRun++;
          idle.pop()!.run({ index, ...slices[index]!, readChunk: options.readChunk });
        }
      };
      // One merge at a time, in slice order; replies that arrive meanwhile wait in `ready`.
      let merging = false;
      const drain = async (): Promise<void> => {
        merging = true;
        try {
          for (let p = ready.get(nextToMerge); p !== undefined && !settled; p = ready.get(nextToMerge)) {
            ready.delete(nextToMerge);
            await onSlice(p, nextToMerge);
            nextToMerge++;
            dispatch();
          }
          if (nextToMerge === slices.length && !settled) {
            settled = true;
            resolve();
          }
        } catch (err) {
          fail(err instanceof Error ? err : new Error(String(err)));
        } finally {
          merging = false;
        }
      };
      const onReply = (thread: SliceThread, reply: SliceReply): void => {
        if (settled) return;
        const range = slices[reply.index]!;
        if (!reply.ok) {
          const what = `candle worker failed reading ticks ${range.afterRowid + 1}..${range.throughRowid} of ${options.dbPath}: ${reply.message}`;
          const cause = Object.assign(new Error(reply.message), { code: reply.code });
          fail(isTransientSqliteError(cause) ? new TransientDbError(what, { cause }) : new MlqError("CANDLE_WORKER", what, false, { cause }));
          return;
        }
        ready.set(reply.index, reply.partial);
        idle.push(thread);
        dispatch();
        if (!merging) draining = drain();
      };

      for (let i = 0; i < threadCount; i++) {
        const thread = options.inProcess ? inProcessThread(options.inProcess) : workerThread(source, options.dbPath);
        threads.push(thread);
        thread.onReply((reply) => onReply(thread, reply));
        thread.onFailure(fail);
        idle.push(thread);
      }
      dispatch();
    });
  } finally {
    detachAbort();
    await Promise.all(threads.map((t) => t.terminate()));
    await draining;
  }
}
