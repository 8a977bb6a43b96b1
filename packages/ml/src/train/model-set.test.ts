import { describe, expect, it } from "vitest";
import { AbortedError, InputDataError } from "@mlq/core";
import { MODEL_NAMES, modelTestMetrics, trainModelSet, type TrainModelSetInput } from "./model-set.js";
import { predict } from "./booster.js";
import { range, syntheticDataset } from "./synthetic.test-util.js";

const data = syntheticDataset(5000, 11);
const base: TrainModelSetInput = {
  X: data.X,
  rows: data.rows,
  cols: data.cols,
  labels: data.labels,
  train: range(0, 3500),
  test: range(3600, 5000),
  params: { rounds: 40, maxDepth: 4, eta: 0.2, treeMethod: "hist", seed: 3 },
};

describe("modelTestMetrics", () => {
  // Non-negative targets and predictions: the sign always agrees, so a hit rate would read 1.
  const y = [0.01, 0.02, 0.005, 0.03];
  const p = [0.02, 0.01, 0.01, 0.01];
  it.each(["risk", "volatility"] as const)("reports no hit rate for %s, whose target is never negative", (name) => {
    expect(modelTestMetrics(name, y, p)).toEqual({ rmse: expect.any(Number), mae: expect.any(Number), r2: expect.any(Number), rows: 4 });
  });
  it.each(["price", "momentum"] as const)("reports the hit rate for %s, whose target takes both signs", (name) => {
    expect(modelTestMetrics(name, [0.5, -0.5, 0.2, -0.1], [0.1, 0.2, 0.3, -0.4])).toMatchObject({ hitRate: 0.75, rows: 4 });
  });
  it("reports classification metrics for direction", () => {
    expect(modelTestMetrics("direction", [1, 0, 1, 0], [0.9, 0.1, 0.4, 0.6])).toMatchObject({ auc: 0.75, accuracy: 0.5 });
  });
});

describe("trainModelSet", () => {
  it("trains the five models in worker threads and scores them on the test rows", async () => {
    const events: string[] = [];
    const result = await trainModelSet({ ...base, threads: 2, progress: (p) => events.push(`${p.stage} ${p.pct} ${p.detail}`) });

    expect(result.models.map((m) => [m.name, m.objective])).toEqual([
      ["direction", "binary:logistic"],
      ["risk", "reg:squarederror"],
      ["price", "reg:squarederror"],
      ["momentum", "reg:squarederror"],
      ["volatility", "reg:squarederror"],
    ]);
    expect(result.trainRows).toBe(3500);
    expect(result.testRows).toBe(1400);
    expect(result.metrics.direction.auc).toBeGreaterThan(0.8);
    expect(result.metrics.direction.accuracy).toBeGreaterThan(0.7);
    expect(result.metrics.direction.logLoss).toBeLessThan(Math.LN2);
    for (const name of ["risk", "price", "momentum", "volatility"] as const) {
      expect(result.metrics[name].r2, name).toBeGreaterThan(0.3);
    }
    expect(result.metrics.price.hitRate).toBeGreaterThan(0.7);
    // A hit rate only where the target takes both signs: never negative risk / volatility would score ~1 trivially.
    expect(Object.keys(result.metrics.risk)).not.toContain("hitRate");
    expect(Object.keys(result.metrics.volatility)).not.toContain("hitRate");
    expect(result.metrics.momentum.hitRate).toBeGreaterThan(0.5);
    expect(events[0]).toBe("train 0 model 0/5");
    expect(events.slice(1).map((e) => e.replace(/\(.*\)/, "").trim())).toEqual([
      "train 20 model 1/5",
      "train 40 model 2/5",
      "train 60 model 3/5",
      "train 80 model 4/5",
      "train 100 model 5/5",
    ]);
    expect(new Set(events.slice(1).map((e) => /\((\w+)\)/.exec(e)?.[1]))).toEqual(new Set(MODEL_NAMES));

    // The worker's test predictions are what the returned bytes predict in this thread.
    const testX = data.X.subarray(3600 * data.cols, 3610 * data.cols);
    const direction = result.models[0]?.bytes ?? new Uint8Array();
    const again = await predict(direction, testX, 10, data.cols);
    expect(again.every((p) => p > 0 && p < 1)).toBe(true);
  });

  it("produces the same model bytes in-process (threads: 0) as in worker threads", async () => {
    const small = { ...base, params: { ...base.params, rounds: 5 } };
    const inProcess = await trainModelSet({ ...small, threads: 0 });
    const threaded = await trainModelSet({ ...small, threads: 3 });
    expect(inProcess.threads).toBe(0);
    for (let i = 0; i < MODEL_NAMES.length; i++) {
      expect(Buffer.from(inProcess.models[i]?.bytes ?? []).equals(Buffer.from(threaded.models[i]?.bytes ?? []))).toBe(true);
    }
    expect(inProcess.metrics).toEqual(threaded.metrics);
  });

  it("terminates the workers and throws AbortedError when the signal fires mid-training", async () => {
    const controller = new AbortController();
    const slow = { ...base, params: { ...base.params, rounds: 5000, maxDepth: 6 }, threads: 2, signal: controller.signal };
    const started = performance.now();
    const attempt = trainModelSet(slow);
    setTimeout(() => controller.abort(new Error("job timed out")), 50);
    await expect(attempt).rejects.toThrow(AbortedError);
    await expect(attempt).rejects.toThrow("training aborted: job timed out");
    // 5000 rounds x 5 models take far longer than this; only termination gets us out early.
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("throws AbortedError without training when the signal has already fired", async () => {
    await expect(trainModelSet({ ...base, signal: AbortSignal.abort("stop") })).rejects.toThrow(AbortedError);
  });

  it.each([
    [
      "more train rows than the cap",
      { maxRows: 3000 },
      "training set has 3500 rows, cap is 3000; lower the window or raise MLQ_MAX_TRAINING_ROWS",
    ],
    ["an empty test set", { test: new Int32Array(0) }, "test set is empty"],
    ["an index outside the dataset", { test: Int32Array.from([4999, 5000]) }, "test index 1 points at row 5000, dataset has 5000 rows"],
    ["direction labels that are not 0/1", { labels: { ...data.labels, direction: data.labels.price } }, "direction labels must be 0 or 1"],
    [
      "a NaN label in the train rows",
      { labels: { ...data.labels, risk: Float64Array.from(data.labels.risk, (v, i) => (i === 7 ? Number.NaN : v)) } },
      "risk training labels contain a non-finite value (NaN) at row 7",
    ],
  ])("rejects %s with InputDataError before training", async (_name, change, message) => {
    const attempt = trainModelSet({ ...base, ...change, threads: 1 });
    await expect(attempt).rejects.toThrow(InputDataError);
    await expect(attempt).rejects.toThrow(message);
  });
});
