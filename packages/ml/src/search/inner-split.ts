// The search's own purged, embargoed walk-forward split inside the outer training part, so no candidate
// is chosen on bars the outer test measures: the same rule as the outer split, applied to the train rows.
import type { Dataset } from "../dataset/build-dataset.js";
import { walkForwardSplit, type InsufficientData } from "../dataset/walk-forward-split.js";

export interface InnerSplitOptions {
  trainFraction: number;
  embargoMinHours: number;
  horizonBars: number;
  minTrainRows: number;
  minValidationRows: number;
}

export interface InnerSplit {
  ok: true;
  /** Dataset row indices, ascending: where candidates are fit, and where they are scored. */
  train: Int32Array;
  validation: Int32Array;
  purged: number;
  embargoRows: number;
  embargoHours: number;
}

/** Splits the outer training rows (dataset indices, ascending) into inner train and validation rows. */
export function innerSplit(
  dataset: Pick<Dataset, "ts" | "labelEndTs" | "horizonBars">,
  outerTrain: Int32Array,
  options: InnerSplitOptions,
): InnerSplit | InsufficientData {
  const ts = Float64Array.from(outerTrain, (r) => dataset.ts[r]!);
  const labelEndTs = Float64Array.from(outerTrain, (r) => dataset.labelEndTs[r]!);
  const split = walkForwardSplit(
    { rows: outerTrain.length, ts, labelEndTs, horizonBars: dataset.horizonBars },
    {
      trainFraction: options.trainFraction,
      embargoMinHours: options.embargoMinHours,
      horizonBars: options.horizonBars,
      minTrainRows: options.minTrainRows,
      minTestRows: options.minValidationRows,
    },
  );
  if (!split.ok)
    return { ok: false, reason: split.reason.replace("insufficient data: ", "insufficient data for the search's inner split: ") };
  return {
    ok: true,
    train: Int32Array.from(split.train, (i) => outerTrain[i]!),
    validation: Int32Array.from(split.test, (i) => outerTrain[i]!),
    purged: split.purged,
    embargoRows: split.embargoRows,
    embargoHours: split.embargoHours,
  };
}
