// ml-xgboost runs in WebAssembly with a fixed memory ceiling: the trainer must never hand it
// more data than it is known to handle, or it crashes instead of failing.
import { ConfigError, InputDataError } from "@mlq/core";
import { WASM_TRAINER_MAX_ROWS, WASM_TRAINER_MEASURED_FEATURES } from "@mlq/config";

/** Feature values the WebAssembly trainer is known to handle: 1M rows × 11 features (SPEC §10). */
export const WASM_TRAINER_MAX_VALUES = WASM_TRAINER_MAX_ROWS * WASM_TRAINER_MEASURED_FEATURES;

/** The newest `cap` of `indices` (which are in time order, oldest first), still oldest first. */
export function selectNewest(indices: Int32Array, cap: number): Int32Array {
  assertCap(cap);
  return indices.length <= cap ? indices : indices.slice(indices.length - cap);
}

/**
 * Throws a one-line InputDataError when the training set is above the configured cap (a caller
 * that skipped `selectNewest`) or when its rows × cols feature matrix is above the trainer's
 * measured ceiling — which the cap alone does not guarantee: a cap that did not come through
 * `loadConfig`'s bound, or more features than the ceiling was measured with.
 */
export function checkRowCap(rows: number, cols: number, cap: number): void {
  assertCap(cap);
  if (rows > cap)
    throw new InputDataError(
      `training set has ${rows} rows, above the WebAssembly trainer's cap of ${cap} (MLQ_MAX_TRAINING_ROWS); keep the newest with selectNewest`,
      { context: { rows, cap } },
    );
  const values = rows * cols;
  if (values > WASM_TRAINER_MAX_VALUES)
    throw new InputDataError(
      `training matrix of ${rows} rows x ${cols} features (${values} values) is above the WebAssembly trainer's measured ceiling of ${WASM_TRAINER_MAX_VALUES} values (${WASM_TRAINER_MAX_ROWS} rows x ${WASM_TRAINER_MEASURED_FEATURES} features); set MLQ_MAX_TRAINING_ROWS to at most ${Math.floor(WASM_TRAINER_MAX_VALUES / Math.max(1, cols))}`,
      { context: { rows, cols, cap, values, maxValues: WASM_TRAINER_MAX_VALUES } },
    );
}

function assertCap(cap: number): void {
  if (!(Number.isInteger(cap) && cap >= 1)) throw new ConfigError(`training row cap must be a positive integer, got ${cap}`);
}
