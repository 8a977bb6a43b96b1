// Public surface of features/, labels/ and dataset/ (re-exported by the package entry).
export { FEATURE_NAMES, FEATURE_WARMUP_BARS, computeFeatures, type FeatureName, type FeatureColumns, type PriceBars } from "./compute-features.js";
export { logReturns } from "./log-returns.js";
export { rollingStd, rollingMoments, type RollingMoments } from "./rolling-std.js";
export { realizedVol } from "./realized-vol.js";
export { rsi } from "./rsi.js";
export { macdHistOverClose } from "./macd.js";
export { bollingerPctB } from "./bollinger.js";
export { atrOverClose } from "./atr.js";
export { rangePosition } from "./range-position.js";
export {
  LABEL_NAMES,
  computeLabels,
  assertLabelOptions,
  type LabelName,
  type LabelColumns,
  type LabelOptions,
  type LabelBars,
} from "../labels/compute-labels.js";
export { validateCandleSeries } from "../dataset/candle-series.js";
export { segmentBounds, DEFAULT_MAX_GAP_MINUTES } from "../dataset/segments.js";
export {
  buildDataset,
  buildFeatureRows,
  seriesColumns,
  seriesFeatureColumns,
  type BuildDatasetOptions,
  type BuildFeatureRowsOptions,
  type Dataset,
  type FeatureRows,
  type SeriesColumns,
  type SymbolRowStats,
} from "../dataset/build-dataset.js";
export {
  walkForwardSplit,
  type WalkForwardOptions,
  type WalkForwardSplit,
  type InsufficientData,
  type SplitResult,
  type SplittableDataset,
} from "../dataset/walk-forward-split.js";
export { selectNewest, checkRowCap } from "../dataset/row-cap.js";
export {
  slippageMult,
  roundTripCost,
  type CalibrationEvidence,
  type SlippageMultOptions,
  type SlippageMult,
  type RoundTripCostOptions,
} from "../dataset/cost.js";
