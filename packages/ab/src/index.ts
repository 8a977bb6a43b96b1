export { splitArms, type AbTrade, type ArmSample, type ArmSplit, type SplitMethod, type SplitTrade } from "./split-arms.js";
export {
  centralMoments,
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
export { evaluateArms, lastSuccessfulRetrainTsMs, loadAbTrades, loadArmSplit, type AbEvaluation, type LoadedTrades } from "./evaluate-arms.js";
export { armEquityCurves, equityCurves, type ArmEquityCurves } from "./arm-equity.js";
export { activeModelView, runAbEvaluation, type AbAction, type AbDeps, type AbRequest, type AbSummary, type ActiveModelView } from "./run-ab-evaluation.js";
export { getAbRun, listAbRuns, type AbArmRecord, type AbRunRecord } from "./ab-runs.js";
export { abStatus, formatStatus, type StatusSummary } from "./ab-status.js";
export { attributeTrades, type Attribution, type AttributionMethod, type Evaluation } from "./attribute-trades.js";
export { decidePromotion, DEFAULT_PROMOTION_POLICY, sharpeDifferenceZ, type DecisionCondition, type EvaluationContext, type PromotionDecision, type PromotionPolicy } from "./decide-promotion.js";
export { obrienFlemingSpent, sequentialBoundaries, type SequentialBoundary, type SpendingFunction } from "./sequential/alpha-spending.js";
export { expectedTradesAtExpiry, informationFraction, sequentialLook, type LookInput, type LookResult } from "./sequential/sequential-look.js";
export { allocateChallengerAlpha, type AlphaAllocation, type AlphaGrant } from "./sequential/alpha-allocation.js";
export { cusumArl, cusumThresholdForArl, decayAllowance, decayThreshold, detectDecay, type DecayPolicy, type DecayState } from "./monitor/decay-detector.js";
export {
  DEFAULT_SHADOW_MAX_GAP_MS,
  longOnlyHoldPolicy,
  type ShadowBar,
  type ShadowPolicy,
  type ShadowPolicyParams,
  type ShadowSegment,
  type ShadowSeries,
  type ShadowSymbolBars,
  type ShadowTrade,
} from "./shadow/shadow-policy.js";
export { kernelWeight, longRunVariance, type HacKernel } from "./shadow/long-run-variance.js";
export {
  DEFAULT_BANDWIDTH_PER_HORIZON,
  DEFAULT_HAC_KERNEL,
  hacPairedSharpe,
  jobsonKorkieMemmel,
  type HacOptions,
  type PairedSharpeResult,
  type PairedSharpeStatus,
} from "./shadow/paired-sharpe.js";
export {
  bootstrapPairedSharpe,
  DEFAULT_BLOCK_LENGTH_PER_HORIZON,
  DEFAULT_BOOTSTRAP_RESAMPLES,
  type BlockBootstrapOptions,
  type BlockBootstrapResult,
} from "./shadow/block-bootstrap.js";
export {
  averagePairwiseCorrelation,
  deflatedSharpeOfTrials,
  deflatedSharpeRatio,
  effectiveTrials,
  EULER_MASCHERONI,
  expectedMaxSharpe,
  type DeflatedSharpe,
  type DeflatedSharpeInput,
  type TrialsDeflation,
} from "./deflated-sharpe.js";
