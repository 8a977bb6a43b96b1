// Public surface of scoring/ (re-exported by the package entry): registry versions loaded for scoring, batch prediction.
export { DEFAULT_WORKER_MIN_ROWS, predictBatch, type PredictBatchOptions } from "./predict-batch.js";
export { loadScoringVersion, type ScoringVersion } from "./scoring-version.js";
export { currentCost, type CostSettings, type CurrentCost } from "./current-cost.js";
