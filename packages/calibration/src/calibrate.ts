// The pure calibrator: closed trades + a regime lookup + policy → slippage figures and
// position-size multipliers overall, per UTC time-of-day bucket and per volatility regime.
import { mean, percentile } from "@mlq/core";
import { emaSlippage } from "./ema.js";
import { sizeMultiplier } from "./multiplier.js";
import { validatePolicy, type CalibrationPolicy } from "./policy.js";
import { buildRecommendations } from "./recommendations.js";
import { proxyRegime, REGIMES, type Regime, type RegimeLookup } from "./regime.js";
import { sideSkipReason, sideSlippagePct, TIME_OF_DAY_BUCKETS, timeOfDayIndex, type TimeOfDayBucket } from "./slippage.js";

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

export function emptySkippedCounts(): SkippedCounts {
  return { null_signal: 0, zero_signal: 0, invalid_price: 0, missing_fill: 0, invalid_side: 0, invalid_timestamp: 0, closed_before_open: 0, no_usable_side: 0 };
}

/** Calibrates from closed trades (any order; sorted here by close time, ties by id). */
export function calibrate(trades: readonly ClosedTrade[], regimeLookup: RegimeLookup, policy: CalibrationPolicy): CalibrationReport {
  validatePolicy(policy);
  const skipped = emptySkippedCounts();
  // Columnar scratch (NaN = side not usable): 35k trade objects' worth of boxed doubles is
  // what made this slow, not the arithmetic.
  const n = trades.length;
  const entrySlip = new Float64Array(n);
  const exitSlip = new Float64Array(n);
  const closedAt = new Float64Array(n);
  const ids = new Float64Array(n);
  const openedAt = new Float64Array(n);
  const pnl = new Float64Array(n);
  // Regime from candles (index into REGIMES, -1 = none), looked up in input order: the
  // sorted pass below then only touches typed arrays, not scattered trade objects.
  const candleRegime = new Int8Array(n);
  const kept = new Uint32Array(n);
  let m = 0;

  for (let i = 0; i < n; i++) {
    const trade = trades[i]!;
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
    entrySlip[i] = sideSlippagePct(trade.side, "entry", trade.signalEntryPrice, trade.entryPrice) ?? Number.NaN;
    exitSlip[i] = sideSlippagePct(trade.side, "exit", trade.signalExitPrice, trade.exitPrice) ?? Number.NaN;
    closedAt[i] = closedTsMs;
    openedAt[i] = trade.openedTsMs;
    ids[i] = trade.id;
    pnl[i] = isFiniteNumber(trade.pnlPct) ? trade.pnlPct : Number.NaN;
    const regime = regimeLookup(trade.symbol, trade.openedTsMs);
    candleRegime[i] = regime === null ? -1 : REGIMES.indexOf(regime);
    kept[m++] = i;
  }
  const order = kept.subarray(0, m).sort((a, b) => closedAt[a]! - closedAt[b]! || ids[a]! - ids[b]!);

  const tradeSlippages = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const i = order[k]!;
    const en = entrySlip[i]!;
    const ex = exitSlip[i]!;
    tradeSlippages[k] = Number.isNaN(en) ? ex : Number.isNaN(ex) ? en : (en + ex) / 2;
  }
  const assumed = policy.basePerSidePct * policy.slippageMult;
  const ema = m > 0 ? emaSlippage(tradeSlippages, policy) : null;
  const overallMultiplier = ema === null ? 1 : sizeMultiplier(ema, assumed);

  const bucketOf = (values: ArrayLike<number>, tradeCount: number): BucketStats => {
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
  const todValues: number[][] = TIME_OF_DAY_BUCKETS.map(() => []);
  const todTrades: number[] = TIME_OF_DAY_BUCKETS.map(() => 0);
  for (let k = 0; k < m; k++) {
    const i = order[k]!;
    const entryBucket = Number.isNaN(entrySlip[i]!) ? -1 : timeOfDayIndex(openedAt[i]!);
    const exitBucket = Number.isNaN(exitSlip[i]!) ? -1 : timeOfDayIndex(closedAt[i]!);
    if (entryBucket >= 0) {
      todValues[entryBucket]!.push(entrySlip[i]!);
      todTrades[entryBucket]!++;
    }
    if (exitBucket >= 0) {
      todValues[exitBucket]!.push(exitSlip[i]!);
      if (exitBucket !== entryBucket) todTrades[exitBucket]!++;
    }
  }
  const timeOfDay = Object.fromEntries(TIME_OF_DAY_BUCKETS.map((b, i) => [b, bucketOf(todValues[i]!, todTrades[i]!)])) as Record<TimeOfDayBucket, BucketStats>;

  // Regimes: candles first, the pnl_pct proxy where no candles cover the open.
  const absPnl: number[] = [];
  for (let k = 0; k < m; k++) {
    const p = pnl[order[k]!]!;
    if (!Number.isNaN(p)) absPnl.push(Math.abs(p));
  }
  const volatileAbsPnl = absPnl.length > 0 ? percentile(absPnl, policy.volatilePercentile) : Number.POSITIVE_INFINITY;
  const regimeMethod: RegimeMethodCounts = { candles: 0, pnl_proxy: 0, unclassified: 0 };
  const regimeValues: number[][] = REGIMES.map(() => []);
  for (let k = 0; k < m; k++) {
    const i = order[k]!;
    let regime = candleRegime[i]!;
    if (regime >= 0) regimeMethod.candles++;
    else if (!Number.isNaN(pnl[i]!)) {
      regime = REGIMES.indexOf(proxyRegime(pnl[i]!, volatileAbsPnl));
      regimeMethod.pnl_proxy++;
    } else {
      regimeMethod.unclassified++;
      continue;
    }
    regimeValues[regime]!.push(tradeSlippages[k]!);
  }
  const regimes = Object.fromEntries(REGIMES.map((r, j) => [r, bucketOf(regimeValues[j]!, regimeValues[j]!.length)])) as Record<Regime, BucketStats>;

  const report: CalibrationReport = {
    tradesAnalyzed: m,
    tradesSeen: trades.length,
    emaSlippagePerSidePct: ema,
    meanSlippagePerSidePct: m > 0 ? mean(tradeSlippages) : null,
    basePerSidePct: policy.basePerSidePct,
    slippageMult: policy.slippageMult,
    assumedSlippagePerSidePct: assumed,
    slippageRatio: ema === null ? null : ema / assumed,
    positionSizeMultiplier: overallMultiplier,
    timeOfDay,
    regimes,
    regimeMethod,
    skipped,
    firstClosedTsMs: m > 0 ? closedAt[order[0]!]! : null,
    lastClosedTsMs: m > 0 ? closedAt[order[m - 1]!]! : null,
    recommendations: [],
  };
  report.recommendations = buildRecommendations(report, policy);
  return report;
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}
