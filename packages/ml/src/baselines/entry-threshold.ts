// Train-time facts the shadow evaluation reads from a version's manifest (issue 16): the entry
// threshold of the long-only policy and the last bar any part of the version was fit on.
import { InputDataError, percentile } from "@mlq/core";

export interface EntryThreshold {
  /** The quantile used (MLQ_SHADOW_ENTRY_QUANTILE, default 0.8). */
  quantile: number;
  /** Enter long when the direction probability is ≥ this. */
  threshold: number;
  /** Test-split probabilities it was fit on. */
  rows: number;
}

/**
 * The direction model's entry threshold: the `quantile` (numpy's linear interpolation, as `percentile`)
 * of its test-split probabilities, so the policy enters on about the top (1 − quantile) share of bars.
 */
export function entryThreshold(probabilities: ArrayLike<number>, quantile: number): EntryThreshold {
  if (!(quantile > 0 && quantile < 1)) throw new InputDataError(`entryThreshold: quantile ${quantile} must be in (0, 1)`);
  if (probabilities.length === 0) throw new InputDataError("entryThreshold: no test-split probabilities");
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    if (!(p >= 0 && p <= 1)) throw new InputDataError(`entryThreshold: probability ${p} at row ${i} is not in [0, 1]`);
  }
  return { quantile, threshold: percentile(probabilities, quantile * 100), rows: probabilities.length };
}

/**
 * The last bar used for training or for choosing anything about the model: the newest bar any test
 * row reads. The entry threshold is fit on test-split features (bars ≤ t), and the test metrics and
 * permutation importance also read each test row's labels (bars t+1..t+H), so this is the latest
 * `labelEndTs` of the test rows — H bars after the last test bar. Nothing after it informed the version.
 */
export function trainedThroughMs(dataset: { ts: ArrayLike<number>; labelEndTs: ArrayLike<number> }, test: Int32Array): number {
  if (test.length === 0) throw new InputDataError("trainedThroughMs: the test split is empty");
  let last = Number.NEGATIVE_INFINITY;
  for (const r of test) last = Math.max(last, dataset.ts[r]!, dataset.labelEndTs[r]!);
  return last;
}
