export { splitArms, type ArmSample, type ArmSplit, type ClosedTrade, type SplitMethod } from "./split-arms.js";
export {
  centralMoments,
  finiteOrNull,
  kurtosis,
  minTrackRecordLength,
  probBBetter,
  psr,
  sharpeVariance,
  sharpeVarianceFactor,
  skewness,
  type SharpeEstimate,
} from "./sharpe-stats.js";
export { armMetrics, cumulativeReturns, YEAR_MS, type ArmMetrics } from "./arm-metrics.js";
export { decideSwap, DEFAULT_SWAP_POLICY, type DecisionArm, type SwapDecision, type SwapPolicy } from "./decide-swap.js";
export { evaluateArms, lastSuccessfulRetrainTsMs, loadClosedTrades, type AbEvaluation, type LoadedTrades } from "./evaluate-arms.js";
export { runAbEvaluation, type AbAction, type AbDeps, type AbRequest, type AbSummary, type ActiveModelView } from "./run-ab-evaluation.js";
export { abStatus, formatStatus, type AbRunRecord, type StatusSummary } from "./ab-status.js";
