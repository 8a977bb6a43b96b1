// The pure calibrator: closed trades + a regime lookup + policy → slippage figures and
// position-size multipliers overall, per UTC time-of-day bucket and per volatility regime.
import { mean, percentile } from "@mlq/core";
import { emaSlippage } from "./ema.js";
import { sizeMultiplier } from "./multiplier.js";
import { validatePolicy, type CalibrationPolicy } from "./policy.js";
import { buildRecommendations } from "./recommendations.js";
import { proxyRegime, REGIMES, type Regime, type RegimeLookup } from "./regime.js";
import { sideSkipReason, sideSlippagePct, TIME_OF_DAY_BUCKETS, timeOfDayBucket, type TimeOfDayBucket } from "./slippage.js";

/** A paper trade as read from `paper_trades` (status 'closed'); prices may be NULL or junk. */
export interface ClosedTrade {
  id: number;
  symbol: string;
  side: string;
  openedTsMs: number;
  closedTsMs: number | null;
  entryPrice: number | null;
  exitPrice: number | null;
  signalEntryPrice: number | null;
  signalExitPrice: number | null;
  pnlPct: number | null;
}

/**
 * What was left out and why. Side reasons count sides (a trade has two); trade reasons
 * count whole trades. A trade with one usable side is analyzed, its other side counted here.
 */
export interface SkippedCounts {
  null_signal: number;
  zero_signal: number;
  invalid_price: number;
  missing_fill: number;
  invalid_side: number;
  invalid_timestamp: number;
  closed_before_open: number;
  no_usable_side: number;
}

export interface RegimeMethodCounts {
  candles: number;
  pnl_proxy: number;
  /** No candles and no finite pnl_pct: the trade counts overall but in no regime. */
  unclassified: number;
}

export interface BucketStats {
  /** Trades with at least one side in this bucket. */
  trades: number;
  /** Sides (fills) in this bucket; equals `trades` for regime buckets' trade-level figures. */
  sides: number;
  /** The bucket's "actual": EMA (same policy as overall) of its values in close order. */
  emaSlippagePerSidePct: number | null;
  meanSlippagePerSidePct: number | null;
  slippageRatio: number | null;
  positionSizeMultiplier: number;
  /** Fewer than minBucketTrades trades: the multiplier is the overall one. */
  inherited: boolean;
}

export interface CalibrationReport {
  tradesAnalyzed: number;
  tradesSeen: number;
  /** Null when no trade could be analyzed. */
  emaSlippagePerSidePct: number | null;
  meanSlippagePerSidePct: number | null;
  basePerSidePct: number;
  slippageMult: number;
  assumedSlippagePerSidePct: number;
  slippageRatio: number | null;
  positionSizeMultiplier: number;
  timeOfDay: Record<TimeOfDayBucket, BucketStats>;
  regimes: Record<Regime, BucketStats>;
  regimeMethod: RegimeMethodCounts;
  skipped: SkippedCounts;
  firstClosedTsMs: number | null;
  lastClosedTsMs: number | null;
  recommendations: string[];
}

interface AnalyzedTrade {
  trade: ClosedTrade;
  closedTsMs: number;
  entry: number | null;
  exit: number | null;
  slippage: number;
}

export function emptySkippedCounts(): SkippedCounts {
  return { null_signal: 0, zero_signal: 0, invalid_price: 0, missing_fill: 0, invalid_side: 0, invalid_timestamp: 0, closed_before_open: 0, no_usable_side: 0 };
}

/** Calibrates from closed trades (any order; sorted here by close time, ties by id). */
export function calibrate(trades: readonly ClosedTrade[], regimeLookup: RegimeLookup, policy: CalibrationPolicy): CalibrationReport {
  validatePolicy(policy);
  const skipped = emptySkippedCounts();
  const analyzed: AnalyzedTrade[] = [];

  for (const trade of trades) {
    if (trade.side !== "long" && trade.side !== "short") {
      skipped.invalid_side++;
      continue;
    }
    const closedTsMs = trade.closedTsMs;
    if (closedTsMs === null || !Number.isFinite(closedTsMs) || !Number.isFinite(trade.openedTsMs)) {
      skipped.invalid_timestamp++;
      continue;
    }
    if (closedTsMs < trade.openedTsMs) {
      skipped.closed_before_open++;
      continue;
    }
    const entryReason = sideSkipReason(trade.signalEntryPrice, trade.entryPrice);
    const exitReason = sideSkipReason(trade.signalExitPrice, trade.exitPrice);
    if (entryReason !== null && exitReason !== null) {
      skipped.no_usable_side++;
      continue;
    }
    if (entryReason !== null) skipped[entryReason]++;
    if (exitReason !== null) skipped[exitReason]++;
    const entry = sideSlippagePct(trade.side, "entry", trade.signalEntryPrice, trade.entryPrice);
    const exit = sideSlippagePct(trade.side, "exit", trade.signalExitPrice, trade.exitPrice);
    const slippage = entry !== null && exit !== null ? (entry + exit) / 2 : (entry ?? exit)!;
    analyzed.push({ trade, closedTsMs, entry, exit, slippage });
  }
  analyzed.sort((a, b) => a.closedTsMs - b.closedTsMs || a.trade.id - b.trade.id);

  const assumed = policy.basePerSidePct * policy.slippageMult;
  const tradeSlippages = analyzed.map((a) => a.slippage);
  const ema = analyzed.length > 0 ? emaSlippage(tradeSlippages, policy) : null;
  const overallMultiplier = ema === null ? 1 : sizeMultiplier(ema, assumed);

  const bucketOf = (values: number[], tradeCount: number): BucketStats => {
    const bucketEma = values.length > 0 ? emaSlippage(values, policy) : null;
    const inherited = tradeCount < policy.minBucketTrades;
    return {
      trades: tradeCount,
      sides: values.length,
      emaSlippagePerSidePct: bucketEma,
      meanSlippagePerSidePct: values.length > 0 ? mean(values) : null,
      slippageRatio: bucketEma === null ? null : bucketEma / assumed,
      positionSizeMultiplier: inherited || bucketEma === null ? overallMultiplier : sizeMultiplier(bucketEma, assumed),
      inherited,
    };
  };

  // Time of day: each side in the bucket of its own fill time, in trade close order.
  const todValues = new Map<TimeOfDayBucket, number[]>(TIME_OF_DAY_BUCKETS.map((b) => [b, []]));
  const todTrades = new Map<TimeOfDayBucket, number>(TIME_OF_DAY_BUCKETS.map((b) => [b, 0]));
  for (const a of analyzed) {
    const entryBucket = a.entry !== null ? timeOfDayBucket(a.trade.openedTsMs) : null;
    const exitBucket = a.exit !== null ? timeOfDayBucket(a.closedTsMs) : null;
    if (entryBucket !== null) todValues.get(entryBucket)!.push(a.entry!);
    if (exitBucket !== null) todValues.get(exitBucket)!.push(a.exit!);
    if (entryBucket !== null) todTrades.set(entryBucket, todTrades.get(entryBucket)! + 1);
    if (exitBucket !== null && exitBucket !== entryBucket) todTrades.set(exitBucket, todTrades.get(exitBucket)! + 1);
  }
  const timeOfDay = Object.fromEntries(TIME_OF_DAY_BUCKETS.map((b) => [b, bucketOf(todValues.get(b)!, todTrades.get(b)!)])) as Record<
    TimeOfDayBucket,
    BucketStats
  >;

  // Regimes: candles first, the pnl_pct proxy where no candles cover the open.
  const absPnl: number[] = [];
  for (const a of analyzed) if (isFiniteNumber(a.trade.pnlPct)) absPnl.push(Math.abs(a.trade.pnlPct));
  const volatileAbsPnl = absPnl.length > 0 ? percentile(absPnl, policy.volatilePercentile) : Number.POSITIVE_INFINITY;
  const regimeMethod: RegimeMethodCounts = { candles: 0, pnl_proxy: 0, unclassified: 0 };
  const regimeValues = new Map<Regime, number[]>(REGIMES.map((r) => [r, []]));
  for (const a of analyzed) {
    let regime = regimeLookup(a.trade.symbol, a.trade.openedTsMs);
    if (regime !== null) regimeMethod.candles++;
    else if (isFiniteNumber(a.trade.pnlPct)) {
      regime = proxyRegime(a.trade.pnlPct, volatileAbsPnl);
      regimeMethod.pnl_proxy++;
    } else {
      regimeMethod.unclassified++;
      continue;
    }
    regimeValues.get(regime)!.push(a.slippage);
  }
  const regimes = Object.fromEntries(REGIMES.map((r) => [r, bucketOf(regimeValues.get(r)!, regimeValues.get(r)!.length)])) as Record<Regime, BucketStats>;

  const report: CalibrationReport = {
    tradesAnalyzed: analyzed.length,
    tradesSeen: trades.length,
    emaSlippagePerSidePct: ema,
    meanSlippagePerSidePct: analyzed.length > 0 ? mean(tradeSlippages) : null,
    basePerSidePct: policy.basePerSidePct,
    slippageMult: policy.slippageMult,
    assumedSlippagePerSidePct: assumed,
    slippageRatio: ema === null ? null : ema / assumed,
    positionSizeMultiplier: overallMultiplier,
    timeOfDay,
    regimes,
    regimeMethod,
    skipped,
    firstClosedTsMs: analyzed[0]?.closedTsMs ?? null,
    lastClosedTsMs: analyzed.at(-1)?.closedTsMs ?? null,
    recommendations: [],
  };
  report.recommendations = buildRecommendations(report, policy);
  return report;
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}
