import { AbortedError, createRng, InputDataError } from "@mlq/core";
import { beforeAll, describe, expect, it } from "vitest";
import { predict, trainBooster } from "../train/booster.js";
import { predictBatch } from "./predict-batch.js";

const COLS = 4;
let bytes: Uint8Array;
let X: Float64Array;
const ROWS = 3000;

beforeAll(async () => {
  const rng = createRng(5, "predict-batch");
  X = Float64Array.from({ length: ROWS * COLS }, () => rng.normal());
  const y = Float64Array.from({ length: ROWS }, (_, i) => Number(X[i * COLS]! + 0.5 * X[i * COLS + 1]! + 0.3 * rng.normal() > 0));
  bytes = await trainBooster({
    X,
    rows: ROWS,
    cols: COLS,
    y,
    objective: "binary:logistic",
    params: { rounds: 10, maxDepth: 3, eta: 0.3, treeMethod: "hist" },
  });
});

describe("predictBatch", () => {
  it("gives the same probabilities on a worker thread as in the calling thread, bit for bit", async () => {
    const here = await predict(bytes, X, ROWS, COLS);
    const inWorker = await predictBatch(bytes, X, ROWS, COLS, { workerMinRows: 0 });
    const small = await predictBatch(bytes, X, ROWS, COLS, { workerMinRows: ROWS + 1 });
    expect(Array.from(inWorker)).toEqual(Array.from(here));
    expect(Array.from(small)).toEqual(Array.from(here));
    expect(here.every((p) => p > 0 && p < 1)).toBe(true);
  });

  it("refuses non-finite features and a short matrix before starting a worker, and answers an empty batch", async () => {
    const bad = Float64Array.from(X);
    bad[7] = Number.NaN;
    await expect(predictBatch(bytes, bad, ROWS, COLS, { workerMinRows: 0 })).rejects.toBeInstanceOf(InputDataError);
    await expect(predictBatch(bytes, X.subarray(0, 10), ROWS, COLS, { workerMinRows: 0 })).rejects.toThrow(
      /prediction matrix has 10 values, expected 3000 × 4/,
    );
    expect((await predictBatch(bytes, X, 0, COLS)).length).toBe(0);
  });

  it("stops at an abort: the worker is terminated and the call rejects with AbortedError", async () => {
    const ctl = new AbortController();
    const pending = predictBatch(bytes, X, ROWS, COLS, { workerMinRows: 0, signal: ctl.signal });
    ctl.abort(new Error("timeout"));
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
  });

  it("a corrupt model fails on the worker with a clear error", async () => {
    const junk = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff);
    await expect(predictBatch(junk, X, ROWS, COLS, { workerMinRows: 0 })).rejects.toThrow(
      /prediction of 3000 rows on a worker thread failed/,
    );
  });
});
