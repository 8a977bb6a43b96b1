// The pure calibrator: closed trades + a regime lookup + policy → slippage figures and
// position-size multipliers overall, per UTC time-of-day bucket and per volatility regime.
import { mean } from "@mlq/core";
import { emaSlippage } from "./ema.js";
import { sizeMultiplier } from "./multiplier.js";
import { validatePolicy, type CalibrationPolicy } from "./policy.js";
import { buildRecommendations } from "./recommendations.js";
import { proxyRegime, REGIMES, type Regime, type RegimeLookup } from "./regime.js";
import { TrailingPercentile } from "./trailing-percentile.js";
import { sideSkipReason, sideSlippagePct, TIME_OF_DAY_BUCKETS, timeOfDayIndex, type TimeOfDayBucket } from "./slippage.js";

/** A paper trade as read from `paper_trades` (status 'closed'); prices may be NULL or junk. */
export interface CalibrationTrade {
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

/** Analyzed trades as typed columns (NaN = side not usable), `order` = their indices in close order. */
interface TradeColumns {
  m: number;
  order: Uint32Array;
  entrySlip: Float64Array;
  exitSlip: Float64Array;
  closedAt: Float64Array;
  openedAt: Float64Array;
  pnl: Float64Array;
  /** Regime from candles (index into REGIMES, -1 = none). */
  candleRegime: Int8Array;
  skipped: SkippedCounts;
}

// Columnar scratch: 35k trade objects' worth of boxed doubles is what made this slow, not the
// arithmetic. Regimes from candles are looked up in input order, so the sorted passes only
// touch typed arrays, not scattered trade objects.
function toColumns(trades: readonly CalibrationTrade[], regimeLookup: RegimeLookup): TradeColumns {
  const skipped = emptySkippedCounts();
  const n = trades.length;
  const entrySlip = new Float64Array(n);
  const exitSlip = new Float64Array(n);
  const closedAt = new Float64Array(n);
  const ids = new Float64Array(n);
  const openedAt = new Float64Array(n);
  const pnl = new Float64Array(n);
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
  return { m, order, entrySlip, exitSlip, closedAt, openedAt, pnl, candleRegime, skipped };
}

const METHOD_CANDLES = 0;
const METHOD_PROXY = 1;
const METHOD_NONE = 2;

/**
 * Regime of each analyzed trade, by its position k in close order (index into REGIMES, -1 =
 * unclassified), and how it was found. Candles first; else the pnl_pct proxy, whose cutoff is
 * the `volatilePercentile` of |pnl_pct| over the trades that closed strictly before this one
 * opened (never itself or later trades), +∞ (not volatile) when none had.
 */
function assignRegimes(c: TradeColumns, volatilePercentile: number): { regime: Int8Array; method: Uint8Array } {
  const { m, order, openedAt, closedAt, pnl, candleRegime } = c;
  const regime = new Int8Array(m);
  const method = new Uint8Array(m);
  const proxyTrades: number[] = [];
  for (let k = 0; k < m; k++) {
    const i = order[k]!;
    if (candleRegime[i]! >= 0) {
      regime[k] = candleRegime[i]!;
      method[k] = METHOD_CANDLES;
    } else if (!Number.isNaN(pnl[i]!)) {
      proxyTrades.push(k);
      method[k] = METHOD_PROXY;
    } else {
      regime[k] = -1;
      method[k] = METHOD_NONE;
    }
  }
  if (proxyTrades.length === 0) return { regime, method };

  // Sweep the proxy trades by open time, adding each trade's |pnl| (in close order) once it closed before that open.
  const absPnl = new Float64Array(m);
  for (let k = 0; k < m; k++) absPnl[k] = Math.abs(pnl[order[k]!]!);
  const ranks = new TrailingPercentile(absPnl);
  proxyTrades.sort((a, b) => openedAt[order[a]!]! - openedAt[order[b]!]!);
  for (const k of proxyTrades) {
    const open = openedAt[order[k]!]!;
    while (ranks.position < m && closedAt[order[ranks.position]!]! < open) ranks.addNext();
    const cutoff = ranks.size > 0 ? ranks.percentile(volatilePercentile) : Number.POSITIVE_INFINITY;
    regime[k] = REGIMES.indexOf(proxyRegime(pnl[order[k]!]!, cutoff));
  }
  return { regime, method };
}

export interface TradeRegime {
  id: number;
  regime: Regime | null;
  method: keyof RegimeMethodCounts;
}

/** Each analyzed trade's regime as `calibrate` assigns it, in close order (ties by id). */
export function tradeRegimes(trades: readonly CalibrationTrade[], regimeLookup: RegimeLookup, policy: Pick<CalibrationPolicy, "volatilePercentile">): TradeRegime[] {
  const columns = toColumns(trades, regimeLookup);
  const { regime, method } = assignRegimes(columns, policy.volatilePercentile);
  const methods = ["candles", "pnl_proxy", "unclassified"] as const;
  return Array.from(columns.order, (i, k) => ({
    id: trades[i]!.id,
    regime: regime[k]! >= 0 ? REGIMES[regime[k]!]! : null,
    method: methods[method[k]!]!,
  }));
}

/** Calibrates from closed trades (any order; sorted here by close time, ties by id). */
export function calibrate(trades: readonly CalibrationTrade[], regimeLookup: RegimeLookup, policy: CalibrationPolicy): CalibrationReport {
  validatePolicy(policy);
  const columns = toColumns(trades, regimeLookup);
  const { m, order, entrySlip, exitSlip, closedAt, openedAt, skipped } = columns;

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

  const bucketOf = (values: ArrayLike<number>, tradeCount: number, recentFrom?: number): BucketStats => {
    const bucketEma = values.length > 0 ? emaSlippage(values, policy, recentFrom) : null;
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

  // Time of day: each side in the bucket of its own fill time, in trade close order. The recent
  // boost covers both sides of a bucket's most recent trades, so remember whose side each value is.
  const todValues: number[][] = TIME_OF_DAY_BUCKETS.map(() => []);
  const todValueTrade: number[][] = TIME_OF_DAY_BUCKETS.map(() => []);
  const todTrades: number[] = TIME_OF_DAY_BUCKETS.map(() => 0);
  for (let k = 0; k < m; k++) {
    const i = order[k]!;
    const entryBucket = Number.isNaN(entrySlip[i]!) ? -1 : timeOfDayIndex(openedAt[i]!);
    const exitBucket = Number.isNaN(exitSlip[i]!) ? -1 : timeOfDayIndex(closedAt[i]!);
    if (entryBucket >= 0) {
      todValues[entryBucket]!.push(entrySlip[i]!);
      todValueTrade[entryBucket]!.push(k);
      todTrades[entryBucket]!++;
    }
    if (exitBucket >= 0) {
      todValues[exitBucket]!.push(exitSlip[i]!);
      todValueTrade[exitBucket]!.push(k);
      if (exitBucket !== entryBucket) todTrades[exitBucket]!++;
    }
  }
  const timeOfDay = Object.fromEntries(
    TIME_OF_DAY_BUCKETS.map((b, i) => [b, bucketOf(todValues[i]!, todTrades[i]!, firstValueOfRecentTrades(todValueTrade[i]!, policy.recentTrades))]),
  ) as Record<TimeOfDayBucket, BucketStats>;

  // Regimes: candles first, the pnl_pct proxy where no candles cover the open.
  const assigned = assignRegimes(columns, policy.volatilePercentile);
  const regimeMethod: RegimeMethodCounts = { candles: 0, pnl_proxy: 0, unclassified: 0 };
  const regimeValues: number[][] = REGIMES.map(() => []);
  for (let k = 0; k < m; k++) {
    const method = assigned.method[k]!;
    if (method === METHOD_CANDLES) regimeMethod.candles++;
    else if (method === METHOD_PROXY) regimeMethod.pnl_proxy++;
    else regimeMethod.unclassified++;
    const regime = assigned.regime[k]!;
    if (regime >= 0) regimeValues[regime]!.push(tradeSlippages[k]!);
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

/** Index of the first value belonging to the last `recent` distinct trades (`tradeOf` ascending). */
function firstValueOfRecentTrades(tradeOf: readonly number[], recent: number): number {
  if (recent <= 0) return tradeOf.length;
  let seen = 0;
  for (let j = tradeOf.length - 1; j >= 0; j--) {
    if (j === tradeOf.length - 1 || tradeOf[j] !== tradeOf[j + 1]) seen++;
    if (seen > recent) return j + 1;
  }
  return 0;
}
