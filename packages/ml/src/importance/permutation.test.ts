import { createRng } from "@mlq/core";
import { describe, expect, it } from "vitest";
import { predict, trainBooster } from "../train/booster.js";
import { trainModelSet } from "../train/model-set.js";
import { permutationImportance, permutationStack, sampleRows, shuffledIndices } from "./permutation.js";

const COLS = 4;

/** `n` rows × 4 features: f0 informative, f1 constant (a model can never split on it), f2 and f3 noise. */
function data(seed: number, n: number) {
  const rng = createRng(seed, "importance-data");
  const X = new Float64Array(n * COLS);
  const signal = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    X[i * COLS] = rng.normal();
    X[i * COLS + 1] = 1.5;
    X[i * COLS + 2] = rng.normal();
    X[i * COLS + 3] = rng.normal();
    signal[i] = 2 * X[i * COLS]! + 0.3 * rng.normal();
  }
  return { X, signal, direction: signal.map((s) => (s > 0 ? 1 : 0)) };
}

const rank = (xs: number[]) => xs.map((_, j) => j).sort((a, b) => xs[b]! - xs[a]!);
const PARAMS = { rounds: 20, maxDepth: 3, eta: 0.3, treeMethod: "hist" as const, seed: 42 };

describe("sampleRows", () => {
  it("draws a seeded subset without replacement, ascending, or every row when there are fewer", () => {
    const candidates = Int32Array.from({ length: 5000 }, (_, i) => 100 + i);
    const a = sampleRows(candidates, 2000, createRng(42, "s"));
    expect(a).toHaveLength(2000);
    expect(new Set(a).size).toBe(2000);
    for (let i = 1; i < a.length; i++) expect(a[i]!).toBeGreaterThan(a[i - 1]!);
    expect(a.every((r) => r >= 100 && r < 5100)).toBe(true);
    expect(Array.from(sampleRows(candidates, 2000, createRng(42, "s")))).toEqual(Array.from(a));
    expect(Array.from(sampleRows(candidates, 2000, createRng(43, "s")))).not.toEqual(Array.from(a));
    expect(Array.from(sampleRows(Int32Array.from([7, 3, 5]), 2000, createRng(1)))).toEqual([3, 5, 7]);
  });

  it("shuffles into a permutation", () => {
    expect(Array.from(shuffledIndices(50, createRng(3))).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe("permutationStack", () => {
  it("stacks the sample, then per repeat and feature a copy with only that column shuffled", () => {
    const { X } = data(1, 40);
    const rows = Int32Array.from([0, 3, 5, 8, 13, 21, 34]);
    const stack = permutationStack(X, COLS, rows, 2, createRng(9));
    const n = rows.length;
    expect(stack).toMatchObject({ rows: n * (1 + 2 * COLS), sampleRows: n, cols: COLS, repeats: 2 });
    expect(stack.X.buffer).toBeInstanceOf(SharedArrayBuffer);
    rows.forEach((r, i) => {
      for (let c = 0; c < COLS; c++) expect(stack.X[i * COLS + c]).toBe(Math.fround(X[r * COLS + c]!));
    });
    for (let b = 1; b < 1 + 2 * COLS; b++) {
      const j = (b - 1) % COLS;
      const col = (block: number, c: number) => Array.from({ length: n }, (_, i) => stack.X[(block * n + i) * COLS + c]!);
      for (let c = 0; c < COLS; c++) {
        if (c === j) expect(col(b, c).sort()).toEqual(col(0, c).sort());
        else expect(col(b, c)).toEqual(col(0, c));
      }
    }
  });
});

describe("permutationImportance", () => {
  it("known answer with a hand-written model: only the feature it reads matters, the rest are exactly 0", () => {
    const { X } = data(2, 300);
    const rows = Int32Array.from({ length: 300 }, (_, i) => i);
    const stack = permutationStack(X, COLS, rows, 3, createRng(5));
    const model = (i: number) => 3 * stack.X[i * COLS + 2]!; // reads f2 only
    const predictions = Float64Array.from({ length: stack.rows }, (_, i) => model(i));
    const y = Float64Array.from(predictions.subarray(0, 300));
    const imp = permutationImportance(predictions, y, stack, "rmse");
    expect(imp.baselineLoss).toBe(0);
    expect(imp.importance[0]).toBe(0);
    expect(imp.importance[1]).toBe(0);
    expect(imp.importance[3]).toBe(0);
    // Shuffling f2 of a standard-normal column: RMSE ≈ 3 · √2.
    expect(imp.importance[2]!).toBeGreaterThan(3.5);
    expect(imp.importance[2]!).toBeLessThan(5);
    expect(imp.std![0]).toBe(0);
    expect(imp.std![2]!).toBeGreaterThan(0);
    expect(() => permutationImportance(predictions.subarray(1), y, stack, "rmse")).toThrow(/predictions, the stack has/);
  });

  it.each([
    ["a regression (RMSE increase)", "reg:squarederror", "rmse"],
    ["the classifier (log-loss increase)", "binary:logistic", "log_loss"],
  ] as const)(
    "on a real XGBoost %s: the informative feature ranks first, a never-used one is exactly 0",
    async (_name, objective, loss) => {
      const train = data(3, 3000);
      const test = data(4, 1500);
      const y = objective === "binary:logistic" ? train.direction : train.signal;
      const bytes = await trainBooster({ X: train.X, rows: 3000, cols: COLS, y, objective, params: PARAMS });
      const rows = sampleRows(
        Int32Array.from({ length: 1500 }, (_, i) => i),
        1000,
        createRng(42, "importance"),
      );
      const stack = permutationStack(test.X, COLS, rows, 1, createRng(42, "importance"));
      const predictions = await predict(bytes, stack.X, stack.rows, COLS);
      const yTest = Float64Array.from(rows, (r) => (objective === "binary:logistic" ? test.direction : test.signal)[r]!);
      const imp = permutationImportance(predictions, yTest, stack, loss);
      expect(imp.std).toBeNull();
      expect(imp.importance[1]).toBe(0);
      expect(rank(imp.importance)[0]).toBe(0);
      expect(imp.importance[0]!).toBeGreaterThan(10 * Math.max(Math.abs(imp.importance[2]!), Math.abs(imp.importance[3]!)));
    },
  );

  it("trainModelSet predicts the stack on its worker threads exactly as an in-process predict does", async () => {
    const d = data(5, 1200);
    const labels = {
      direction: d.direction,
      risk: d.signal.map(Math.abs),
      price: d.signal,
      momentum: d.signal.map(Math.tanh),
      volatility: d.signal.map(Math.abs),
    };
    const stack = permutationStack(
      d.X,
      COLS,
      Int32Array.from({ length: 200 }, (_, i) => 1000 + i),
      1,
      createRng(42),
    );
    const result = await trainModelSet({
      X: d.X,
      rows: 1200,
      cols: COLS,
      labels,
      train: Int32Array.from({ length: 900 }, (_, i) => i),
      test: Int32Array.from({ length: 300 }, (_, i) => 900 + i),
      params: { ...PARAMS, rounds: 5 },
      threads: 2,
      extraPredict: { X: stack.X, rows: stack.rows },
    });
    expect(Object.keys(result.extraPredictions!)).toEqual(["direction", "risk", "price", "momentum", "volatility"]);
    for (const model of result.models) {
      const inProcess = await predict(model.bytes, stack.X, stack.rows, COLS);
      expect(Array.from(result.extraPredictions![model.name])).toEqual(Array.from(inProcess));
    }
    expect(result.testPredictions.direction).toHaveLength(300);
    expect(Object.keys(result.durationsMs.extraPredict!)).toHaveLength(5);
  });
});
