export { generateDemoDatabase, type DemoSummary, type DemoDeps } from "./generate.js";
export { DEFAULT_DEMO_OPTIONS, resolveDemoOptions, symbolProfile, type DemoOptions, type ResolvedDemoOptions, type SymbolProfile } from "./options.js";
export {
  REGIMES,
  MOMENTUM_LAGS,
  planRegimes,
  simulateMinutePath,
  allocateTicks,
  tickIntensity,
  intradayVolFactor,
  demoAnchors,
  type RegimeName,
  type RegimeSpec,
  type RegimePlan,
  type RegimeAnchor,
} from "./market-model.js";
export {
  planTrades,
  fillTrade,
  drawSlippagePct,
  timeOfDayBucket,
  FEE_RATE_PER_SIDE,
  SLIPPAGE_MEAN_PCT_BY_BUCKET,
  SIDE_SKILL,
  STRATEGIES,
  type PlannedTrade,
  type TradeRow,
  type Side,
  type ModelArm,
} from "./paper-trades.js";
export { createRng, hashLabel, type Rng } from "@mlq/core";
export { insertDemoCandles, simulateDemoCandles, type DemoCandles, type DemoCandleOptions } from "./candles.js";
