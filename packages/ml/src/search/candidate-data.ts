// The candidate matrices of one search: inner-train features and labels, inner-validation features,
// gathered once (float32 on shared memory, so worker threads read them without copies).
import type { Dataset } from "../dataset/build-dataset.js";
import { gatherRows, MODEL_NAMES, type ModelName } from "../train/model-set.js";
import type { CandidateData } from "./candidate-trainer.js";
import type { InnerSplit } from "./inner-split.js";

export function candidateData(
  dataset: Pick<Dataset, "X" | "featureNames" | "y">,
  inner: Pick<InnerSplit, "train" | "validation">,
): CandidateData {
  const cols = dataset.featureNames.length;
  const labels = Object.fromEntries(
    MODEL_NAMES.map((name) => {
      const y = new Float32Array(new SharedArrayBuffer(Math.max(1, inner.train.length) * 4), 0, inner.train.length);
      const source = dataset.y[name];
      for (let i = 0; i < inner.train.length; i++) y[i] = source[inner.train[i]!]!;
      return [name, y];
    }),
  ) as Record<ModelName, Float32Array>;
  return {
    cols,
    rows: inner.train.length,
    X: gatherRows(dataset.X, cols, inner.train, "search train features"),
    labels,
    validationRows: inner.validation.length,
    Xvalidation: gatherRows(dataset.X, cols, inner.validation, "search validation features"),
  };
}

/** The validation rows' labels (float64, for scoring in the parent). */
export function validationLabels(dataset: Pick<Dataset, "y">, validation: Int32Array): Record<ModelName, Float64Array> {
  return Object.fromEntries(MODEL_NAMES.map((name) => [name, Float64Array.from(validation, (r) => dataset.y[name][r]!)])) as Record<
    ModelName,
    Float64Array
  >;
}
