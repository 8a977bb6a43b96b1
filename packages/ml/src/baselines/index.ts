// Public surface of baselines/ (re-exported by the package entry).
export { entryThreshold, trainedThroughMs, type EntryThreshold } from "./entry-threshold.js";
export {
  IMPORTANCE_LOSS,
  manifestBaselines,
  planImportance,
  trainBaselines,
  trainingDriftBaseline,
  type DriftBaselineOptions,
  type ImportanceOptions,
  type ImportancePlan,
  type TrainBaselines,
  type TrainBaselinesInput,
  type TrainBaselinesOptions,
} from "./train-baselines.js";
