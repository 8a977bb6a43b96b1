// Public surface of drift/ (re-exported by the package entry): PSI and the calibrated drift rule.
export { PSI_EPSILON, decileEdges, binIndex, binShares, psi, type PsiOptions } from "./psi.js";
export {
  rollingWindowPsi,
  featuresOverThreshold,
  driftTriggered,
  calibrateDriftRule,
  type CalibrateDriftOptions,
  type DriftCalibration,
} from "./drift-rule.js";
export {
  DEFAULT_DRIFT_MIN_BARS,
  featureDriftBaseline,
  predictionBaseline,
  referenceBins,
  windowEnds,
  windowPsis,
  type DriftWindowOptions,
  type FeatureDriftBaseline,
  type FeatureDriftInput,
  type FeatureDriftOptions,
  type PredictionBaseline,
  type ReferenceBins,
  type SymbolDriftBaseline,
} from "./baseline.js";
export {
  driftWindow,
  scoreVersionDrift,
  decideDriftRetrain,
  type DriftRows,
  type DriftRetrainAction,
  type DriftRetrainPolicy,
  type FeatureDriftScore,
  type ScoreDriftOptions,
  type SymbolDriftScore,
  type SymbolDriftStatus,
  type VersionDriftScore,
} from "./monitor-drift.js";
export { DRIFT_FEATURE_SCALE, driftFeatureView } from "./drift-view.js";
export {
  PREDICTION_DRIFT_FEATURE,
  recordDriftCheck,
  lastDriftRetrainMs,
  latestDriftCheck,
  listDriftChecks,
  versionDriftSince,
  type VersionDriftSince,
  type DriftCheckAction,
  type DriftCheckRecord,
  type DriftCheckRow,
  type FeatureDriftRow,
} from "./drift-store.js";
