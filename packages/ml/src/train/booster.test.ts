import { describe, expect, it } from "vitest";
import { InputDataError, MlqError } from "@mlq/core";
import { predict, trainBooster, loadInProcessBinding, DEFAULT_MAX_TRAINING_ROWS } from "./booster.js";
import { auc, r2 } from "./metrics.js";
import { syntheticDataset } from "./synthetic.test-util.js";
import type { BoosterParams } from "./xgboost-binding.js";

const params: BoosterParams = { rounds: 30, maxDepth: 3, eta: 0.3, treeMethod: "hist", seed: 1 };
const data = syntheticDataset(3000, 7);
const trainRows = 2000;
const testRows = data.rows - trainRows;
const Xtrain = data.X.subarray(0, trainRows * data.cols);
const Xtest = data.X.subarray(trainRows * data.cols);

describe("trainBooster + predict", () => {
  it("learns a planted direction signal (held-out AUC > 0.8)", async () => {
    const bytes = await trainBooster({
      X: Xtrain,
      rows: trainRows,
      cols: data.cols,
      y: data.labels.direction.subarray(0, trainRows),
      objective: "binary:logistic",
      params,
    });
    const p = await predict(bytes, Xtest, testRows, data.cols);
    expect(p.every((v) => v > 0 && v < 1)).toBe(true);
    expect(auc(data.labels.direction.subarray(trainRows), p)).toBeGreaterThan(0.8);
  });

  it("learns a regression target (held-out R² > 0.5) and reg:squarederror equals reg:linear", async () => {
    const input = { X: Xtrain, rows: trainRows, cols: data.cols, y: data.labels.price.subarray(0, trainRows), params };
    const squared = await trainBooster({ ...input, objective: "reg:squarederror" });
    const linear = await trainBooster({ ...input, objective: "reg:linear" });
    expect(Buffer.from(squared).equals(Buffer.from(linear))).toBe(true);
    const p = await predict(squared, Xtest, testRows, data.cols);
    expect(r2(data.labels.price.subarray(trainRows), p)).toBeGreaterThan(0.5);
  });

  it("is deterministic: same data and seed give the same model bytes", async () => {
    const input = {
      X: Float32Array.from(Xtrain),
      rows: trainRows,
      cols: data.cols,
      y: data.labels.risk.subarray(0, trainRows),
      objective: "reg:linear" as const,
      params: { ...params, subsample: 0.8 },
    };
    const a = await trainBooster(input);
    const b = await trainBooster(input);
    expect(a.length).toBeGreaterThan(100);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it("refuses more rows than the cap before touching wasm", async () => {
    const rows = DEFAULT_MAX_TRAINING_ROWS + 1;
    // An empty matrix would make wasm fail differently: the cap must be checked first.
    const attempt = trainBooster({ X: new Float32Array(0), rows, cols: 11, y: new Float32Array(0), objective: "reg:linear", params });
    await expect(attempt).rejects.toThrow(InputDataError);
    await expect(attempt).rejects.toThrow(
      `training set has ${rows} rows, cap is ${DEFAULT_MAX_TRAINING_ROWS}; lower the window or raise MLQ_MAX_TRAINING_ROWS`,
    );
    await expect(
      trainBooster({ X: Xtrain, rows: 101, cols: data.cols, y: data.labels.price, objective: "reg:linear", params }, { maxRows: 100 }),
    ).rejects.toThrow("training set has 101 rows, cap is 100");
  });

  it.each([
    ["a short matrix", { X: new Float64Array(10), rows: 5, cols: 11 }, "training matrix has 10 values, 5 rows x 11 columns need 55"],
    [
      "a NaN feature",
      { X: Float64Array.from([1, 2, Number.NaN, 4]), rows: 2, cols: 2 },
      "training features contain a non-finite value (NaN) at row 1, column 0",
    ],
  ])("rejects %s with a one-line InputDataError", async (_name, shape, message) => {
    const attempt = trainBooster({ ...shape, y: new Float64Array(shape.rows), objective: "reg:linear", params });
    await expect(attempt).rejects.toThrow(InputDataError);
    await expect(attempt).rejects.toThrow(message);
  });

  it("turns a wasm failure into an MlqError and recovers with a fresh instance", async () => {
    const bytes = await trainBooster({
      X: Xtrain,
      rows: trainRows,
      cols: data.cols,
      y: data.labels.price,
      objective: "reg:linear",
      params,
    });
    const corrupt = bytes.slice(0, bytes.length >> 1);
    const failure = await predict(corrupt, Xtest, 3, data.cols).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(MlqError);
    expect((failure as MlqError).code).toBe("XGBOOST_WASM");
    expect((failure as Error).message).toMatch(/^XGBoost WebAssembly failed while predicting 3 rows x 11 features/);
    const again = await predict(bytes, Xtest, 3, data.cols);
    expect(again.every(Number.isFinite)).toBe(true);
  });

  it("rejects a NaN in the prediction matrix before wasm (XGBoost would abort on it)", async () => {
    const bytes = await trainBooster({ X: Xtrain, rows: 50, cols: data.cols, y: data.labels.price, objective: "reg:linear", params });
    const X = Float64Array.from({ length: 2 * data.cols }, (_, i) => (i === data.cols + 3 ? Number.NaN : 0.1));
    await expect(predict(bytes, X, 2, data.cols)).rejects.toThrow(
      "prediction features contain a non-finite value (NaN) at row 1, column 3",
    );
  });

  it("leaves no uncaughtException hook behind after loading the wasm module", async () => {
    const before = process.listeners("uncaughtException").length;
    const binding = await loadInProcessBinding();
    expect(binding.poisoned).toBe(false);
    expect(process.listeners("uncaughtException").length).toBe(before);
  });

  it("trains 500,000 rows x 11 features within the wasm heap (2 rounds, depth 2)", async () => {
    const rows = DEFAULT_MAX_TRAINING_ROWS;
    const cols = 11;
    const X = new Float32Array(rows * cols);
    const y = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) X[r * cols + c] = ((r * 7919 + c * 104729) % 1000) / 1000;
      y[r] = (X[r * cols] ?? 0) > 0.5 ? 1 : 0;
    }
    const bytes = await trainBooster({
      X,
      rows,
      cols,
      y,
      objective: "binary:logistic",
      params: { rounds: 2, maxDepth: 2, eta: 0.5, treeMethod: "hist" },
    });
    const probe = Float32Array.from({ length: 2 * cols }, (_, i) => (i === 0 ? 0.9 : i === cols ? 0.1 : 0.5));
    const p = await predict(bytes, probe, 2, cols);
    expect(p[0]).toBeGreaterThan(0.5);
    expect(p[1]).toBeLessThan(0.5);
  });
});
