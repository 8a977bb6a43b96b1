// ml-xgboost runs in WebAssembly with a fixed memory ceiling: the trainer must never hand it
// more rows than the configured cap (MLQ_MAX_TRAINING_ROWS), or it crashes instead of failing.
import { ConfigError, InputDataError } from "@mlq/core";

/** The newest `cap` of `indices` (which are in time order, oldest first), still oldest first. */
export function selectNewest(indices: Int32Array, cap: number): Int32Array {
  assertCap(cap);
  return indices.length <= cap ? indices : indices.slice(indices.length - cap);
}

/** Throws a one-line InputDataError when `rows` exceeds the training row cap. */
export function checkRowCap(rows: number, cap: number): void {
  assertCap(cap);
  if (rows > cap)
    throw new InputDataError(
      `training set has ${rows} rows, above the WebAssembly trainer's cap of ${cap} (MLQ_MAX_TRAINING_ROWS); keep the newest with selectNewest`,
      { context: { rows, cap } },
    );
}

function assertCap(cap: number): void {
  if (!(Number.isInteger(cap) && cap >= 1)) throw new ConfigError(`training row cap must be a positive integer, got ${cap}`);
}
