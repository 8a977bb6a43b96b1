export {
  DEFAULT_MAX_TRAINING_ROWS,
  XGBOOST_GLUE_PATH,
  predict,
  trainBooster,
  type FloatArray,
  type TrainBoosterInput,
  type TrainBoosterOptions,
} from "./booster.js";
export {
  accuracy,
  auc,
  directionMetrics,
  hitRate,
  logLoss,
  mae,
  r2,
  regressionMetrics,
  rmse,
  signedRegressionMetrics,
  type DirectionMetrics,
  type RegressionMetrics,
  type SignedRegressionMetrics,
} from "./metrics.js";
export {
  MODEL_NAMES,
  MODEL_OBJECTIVES,
  SIGNED_TARGET_MODELS,
  defaultTrainThreads,
  modelTestMetrics,
  runTrainTasks,
  trainModelSet,
  type ModelName,
  type ModelSetMetrics,
  type ModelSetResult,
  type TrainModelSetInput,
  type TrainedModel,
} from "./model-set.js";
export type { BoosterParams, XgbObjective } from "./xgboost-binding.js";
