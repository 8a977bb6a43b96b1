export {
  BARS_FOR_FEATURES,
  LiveCandleBook,
  closedBeforeMs,
  lastBarFeatures,
  type LiveCandleOptions,
  type RefreshResult,
  type SymbolFeatures,
} from "./live-candles.js";
export {
  RoleModels,
  SERVED_ROLES,
  servedModelSet,
  type RoleModelsOptions,
  type RoleSlot,
  type ServedModelSet,
  type ServedRole,
} from "./role-models.js";
export { answerBatch, answerPrediction, type Answer, type BatchBody, type SymbolError, type SymbolPrediction } from "./predict-answer.js";
export { refreshServing, type RefreshServingOptions, type ServingRefresh } from "./refresh.js";
