// Single-booster training and batch prediction in the calling thread, with the input
// checks (row cap, shapes, finite values) that must run before any wasm call.
import { createRequire } from "node:module";
import { ConfigError, InputDataError, MlqError } from "@mlq/core";
import { createXgbBinding, loadXgbModule, type BoosterParams, type XgbBinding, type XgbObjective } from "./xgboost-binding.js";

/** Default cap on training rows (config `retrain.maxTrainingRows`, env MLQ_MAX_TRAINING_ROWS). */
export const DEFAULT_MAX_TRAINING_ROWS = 500_000;

const requireHere = createRequire(import.meta.url);

/** Absolute path of ml-xgboost's emscripten glue; worker threads load it by path. */
export const XGBOOST_GLUE_PATH: string = requireHere.resolve("ml-xgboost/dist/wasm/xgboost.js");

export type FloatArray = Float64Array | Float32Array;

export interface TrainBoosterInput {
  /** Row-major features, `rows * cols` values. */
  X: FloatArray;
  rows: number;
  cols: number;
  y: FloatArray;
  objective: XgbObjective;
  params: BoosterParams;
}

export interface TrainBoosterOptions {
  /** More training rows than this is refused before touching wasm. */
  maxRows?: number;
}

let inProcess: Promise<XgbBinding> | undefined;

/** The calling thread's wasm instance, loaded once and replaced after a wasm failure. */
export async function loadInProcessBinding(): Promise<XgbBinding> {
  if (inProcess) {
    const binding = await inProcess.catch(() => undefined);
    if (binding && !binding.poisoned) return binding;
  }
  const loading = loadXgbModule(requireHere, XGBOOST_GLUE_PATH).then(createXgbBinding);
  inProcess = loading;
  try {
    return await loading;
  } catch (err) {
    inProcess = undefined;
    throw new MlqError("XGBOOST_WASM", `cannot load ml-xgboost WebAssembly from ${XGBOOST_GLUE_PATH}`, false, {
      cause: err,
    });
  }
}

/** Trains one booster and returns XGBoost's serialized model bytes. */
export async function trainBooster(input: TrainBoosterInput, options: TrainBoosterOptions = {}): Promise<Uint8Array> {
  checkTrainingShape(input.rows, input.cols, input.X.length, input.y.length, options.maxRows);
  checkBoosterParams(input.params);
  checkFinite(input.X, input.rows * input.cols, input.cols, "training features");
  checkFinite(input.y, input.rows, 1, "training labels");
  const binding = await loadInProcessBinding();
  try {
    return binding.train({
      X: toFloat32(input.X, input.rows * input.cols),
      y: toFloat32(input.y, input.rows),
      rows: input.rows,
      cols: input.cols,
      objective: input.objective,
      params: input.params,
    });
  } catch (err) {
    throw toMlqError(err, "training");
  }
}

/** Predicts every row of `X` (row-major) with a serialized model. */
export async function predict(modelBytes: Uint8Array, X: FloatArray, rows: number, cols: number): Promise<Float64Array> {
  if (modelBytes.length === 0) throw new InputDataError("model bytes are empty");
  checkMatrix(rows, cols, X.length, "prediction matrix");
  checkFinite(X, rows * cols, cols, "prediction features");
  const binding = await loadInProcessBinding();
  try {
    return binding.predict(modelBytes, toFloat32(X, rows * cols), rows, cols);
  } catch (err) {
    throw toMlqError(err, "prediction");
  }
}

export function checkTrainingShape(
  rows: number,
  cols: number,
  xLength: number,
  yLength: number,
  maxRows = DEFAULT_MAX_TRAINING_ROWS,
): void {
  if (rows > maxRows) {
    throw new InputDataError(`training set has ${rows} rows, cap is ${maxRows}; lower the window or raise MLQ_MAX_TRAINING_ROWS`, {
      context: { rows, maxRows },
    });
  }
  checkMatrix(rows, cols, xLength, "training matrix");
  if (yLength < rows) throw new InputDataError(`training labels have ${yLength} values for ${rows} rows`);
}

function checkMatrix(rows: number, cols: number, length: number, what: string): void {
  if (!Number.isInteger(rows) || rows < 1) throw new InputDataError(`${what} needs at least one row, got ${rows}`);
  if (!Number.isInteger(cols) || cols < 1) throw new InputDataError(`${what} needs at least one column, got ${cols}`);
  if (length < rows * cols) {
    throw new InputDataError(`${what} has ${length} values, ${rows} rows x ${cols} columns need ${rows * cols}`);
  }
}

export function checkBoosterParams(params: BoosterParams): void {
  const { rounds, maxDepth, eta, subsample = 1, treeMethod } = params;
  if (!Number.isInteger(rounds) || rounds < 1) throw new ConfigError(`xgb rounds must be an integer >= 1, got ${rounds}`);
  if (!Number.isInteger(maxDepth) || maxDepth < 1) {
    throw new ConfigError(`xgb maxDepth must be an integer >= 1, got ${maxDepth}`);
  }
  if (!(eta > 0 && eta <= 1)) throw new ConfigError(`xgb eta must be in (0, 1], got ${eta}`);
  if (!(subsample > 0 && subsample <= 1)) throw new ConfigError(`xgb subsample must be in (0, 1], got ${subsample}`);
  if (params.minChildWeight !== undefined && !(params.minChildWeight >= 0)) {
    throw new ConfigError(`xgb minChildWeight must be >= 0, got ${params.minChildWeight}`);
  }
  if (treeMethod !== "hist") throw new ConfigError(`xgb treeMethod must be 'hist', got ${String(treeMethod)}`);
}

/** Rejects NaN/Infinity: upstream drops such rows, so one here is a bug worth naming. */
export function checkFinite(values: FloatArray, count: number, cols: number, what: string): void {
  for (let i = 0; i < count; i++) {
    if (!Number.isFinite(values[i])) {
      const where = cols === 1 ? `row ${i}` : `row ${Math.floor(i / cols)}, column ${i % cols}`;
      throw new InputDataError(`${what} contain a non-finite value (${values[i]}) at ${where}`);
    }
  }
}

export function toFloat32(values: FloatArray, count: number): Float32Array {
  if (values instanceof Float32Array) return values.length === count ? values : values.subarray(0, count);
  return Float32Array.from(values.subarray(0, count));
}

/** Turns a binding failure (already one line, naming the operation) into an MlqError. */
export function toMlqError(err: unknown, what: string): MlqError {
  if (err instanceof MlqError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MlqError("XGBOOST_WASM", message.startsWith("XGBoost") ? message : `XGBoost ${what} failed: ${message}`, false, {
    cause: err,
  });
}
