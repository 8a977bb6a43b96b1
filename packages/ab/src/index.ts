export { type AbTrade, type ArmSample } from "./ab-trade.js";
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
} from "@mlq/core";
export { armMetrics, cumulativeReturns, YEAR_MS, type ArmMetrics } from "./arm-metrics.js";
export { DEFAULT_AB_POLICY, evaluateArms, loadAbTrades, type AbEvaluation, type AbPolicy, type LoadedTrades } from "./evaluate-arms.js";
export { armEquityCurves, equityCurves, type ArmEquityCurves } from "./arm-equity.js";
export {
  activeModelView,
  prepareRoles,
  runAbEvaluation,
  validateAbPolicy,
  type AbAction,
  type AbDeps,
  type AbOutcome,
  type AbRequest,
  type AbSummary,
  type ActiveModelView,
  shadowSummary,
  type ShadowSummary,
} from "./run-ab-evaluation.js";
export { getAbRun, listAbRuns, priorLooks, type AbArmRecord, type AbRunRecord, type PriorLook } from "./ab-runs.js";
export { abStatus, formatStatus, type StatusSummary } from "./ab-status.js";
export { attributeTrades, type Attribution, type AttributionMethod, type Evaluation } from "./attribute-trades.js";
export { decideOnShadow, type ShadowDecisionInput, type ShadowEvidence, type ShadowLookContext } from "./decide-promotion.js";
export { decidePromotion, DEFAULT_PROMOTION_POLICY, sharpeDifferenceZ, type DecisionArm, type DecisionCondition, type EvaluationContext, type PromotionDecision, type PromotionPolicy } from "./decide-promotion.js";
export { obrienFlemingSpent, sequentialBoundaries, type SequentialBoundary, type SpendingFunction } from "./sequential/alpha-spending.js";
export { expectedTradesAtExpiry, informationFraction, sequentialLook, sequentialLookAt, type LookInput, type LookResult } from "./sequential/sequential-look.js";
export { ALPHA_WINDOW_MS, allocateChallengerAlpha, type AlphaAllocation, type AlphaGrant } from "@mlq/registry";
export { cusumArl, cusumThresholdForArl, decayAllowance, decayThreshold, detectDecay, type DecayPolicy, type DecayState } from "./monitor/decay-detector.js";
export { championTradeAt, loadChampionTrades, type ChampionSelection, type ChampionTrades, type ChampionWindow } from "./monitor/champion-trades.js";
export { runMonitor, validateMonitorPolicy, type MonitorAction, type MonitorDeps, type MonitorPolicy, type MonitorSummary } from "./monitor/run-monitor.js";
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
} from "@mlq/ml";
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
} from "@mlq/core";
export {
  runShadowEvaluation,
  type ShadowCurves,
  type ShadowEvaluation,
  type ShadowInput,
  type ShadowOptions,
  type ShadowStatus,
} from "./shadow/shadow-evaluation.js";
export { getShadowRun, insertShadowRun, listShadowRuns, type ShadowRunRecord } from "./shadow/shadow-runs.js";
