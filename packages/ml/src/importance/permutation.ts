// Permutation feature importance (ml-xgboost has no importance API): how much a model's test loss
// grows when one feature's column is shuffled across a seeded sample of test rows. All permuted
// copies are stacked into one matrix so a booster predicts them in a single call on its worker.
import { InputDataError, mean, std, type Rng } from "@mlq/core";
import { logLoss, rmse } from "../train/metrics.js";

/** The loss whose increase is the importance: log-loss for the classifier, RMSE for regressions. */
export type ImportanceLoss = "log_loss" | "rmse";

const LOSSES: Record<ImportanceLoss, (y: ArrayLike<number>, p: ArrayLike<number>) => number> = { log_loss: logLoss, rmse };

/** Up to `maxRows` of `candidates`, drawn without replacement with `rng`, in ascending order. */
export function sampleRows(candidates: Int32Array, maxRows: number, rng: Rng): Int32Array {
  if (!Number.isInteger(maxRows) || maxRows < 0) throw new InputDataError(`sampleRows: maxRows ${maxRows} must be an integer ≥ 0`);
  const pool = Int32Array.from(candidates);
  const k = Math.min(maxRows, pool.length);
  if (k < pool.length) {
    // Partial Fisher–Yates: the first k slots are a uniform sample.
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(pool.length - i);
      const t = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = t;
    }
  }
  return pool.slice(0, k).sort();
}

/** A uniform random permutation of 0..n−1 (Fisher–Yates). */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  const out = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

export interface PermutationStack {
  /**
   * Row-major float32 (on shared memory, so worker threads read it without a copy): block 0 is the
   * sample as is, block 1 + r·cols + j the sample with column j shuffled (repeat r).
   */
  X: Float32Array;
  /** Rows of X: sampleRows × (1 + repeats × cols). */
  rows: number;
  sampleRows: number;
  cols: number;
  repeats: number;
}

/** The stacked matrix of `permutationImportance` for the dataset `rows` of the row-major `X`. */
export function permutationStack(X: ArrayLike<number>, cols: number, rows: Int32Array, repeats: number, rng: Rng): PermutationStack {
  if (!Number.isInteger(repeats) || repeats < 1) throw new InputDataError(`permutationStack: repeats ${repeats} must be an integer ≥ 1`);
  const n = rows.length;
  if (n < 2) throw new InputDataError(`permutationStack: ${n} sample rows, at least 2 needed`);
  const blocks = 1 + repeats * cols;
  const blockSize = n * cols;
  const out = new Float32Array(new SharedArrayBuffer(blocks * blockSize * Float32Array.BYTES_PER_ELEMENT));
  for (let i = 0; i < n; i++) for (let c = 0; c < cols; c++) out[i * cols + c] = X[rows[i]! * cols + c]!;
  const original = out.subarray(0, blockSize);
  for (let r = 0; r < repeats; r++) {
    for (let j = 0; j < cols; j++) {
      const block = out.subarray((1 + r * cols + j) * blockSize, (2 + r * cols + j) * blockSize);
      block.set(original);
      const perm = shuffledIndices(n, rng);
      for (let i = 0; i < n; i++) block[i * cols + j] = original[perm[i]! * cols + j]!;
    }
  }
  return { X: out, rows: blocks * n, sampleRows: n, cols, repeats };
}

export interface PermutationImportance {
  loss: ImportanceLoss;
  /** Loss on the unshuffled sample. */
  baselineLoss: number;
  /** Per feature: mean over repeats of loss(shuffled) − baselineLoss. Exactly 0 for a feature the model never splits on. */
  importance: number[];
  /** Per feature: std (ddof 1) of that increase over repeats; null with one repeat. */
  std: number[] | null;
}

/** Importance of each feature from a model's predictions of a `PermutationStack` and the sample's labels. */
export function permutationImportance(
  predictions: Float64Array,
  y: ArrayLike<number>,
  stack: Pick<PermutationStack, "sampleRows" | "cols" | "repeats">,
  loss: ImportanceLoss,
): PermutationImportance {
  const { sampleRows: n, cols, repeats } = stack;
  if (y.length !== n) throw new InputDataError(`permutationImportance: ${y.length} labels for ${n} sample rows`);
  if (predictions.length !== n * (1 + repeats * cols)) {
    throw new InputDataError(`permutationImportance: ${predictions.length} predictions, the stack has ${n * (1 + repeats * cols)} rows`);
  }
  const lossFn = LOSSES[loss];
  const block = (b: number): Float64Array => predictions.subarray(b * n, (b + 1) * n);
  const baselineLoss = lossFn(y, block(0));
  const importance: number[] = [];
  const spread: number[] = [];
  for (let j = 0; j < cols; j++) {
    const deltas: number[] = [];
    for (let r = 0; r < repeats; r++) deltas.push(lossFn(y, block(1 + r * cols + j)) - baselineLoss);
    importance.push(repeats === 1 ? deltas[0]! : mean(deltas));
    spread.push(repeats === 1 ? Number.NaN : std(deltas, 1));
  }
  return { loss, baselineLoss, importance, std: repeats === 1 ? null : spread };
}
