// Volatility regime at a trade's open, from the 1-minute candles just before it.
// 'volatile' when the trailing realized vol is at or above the symbol's own
// `volatilePercentile`, ranked only among the windows that ended by then (never later bars);
// else 'trending' when Kaufman's efficiency ratio reaches `trendingEfficiency`; else 'ranging'.
import { MINUTE_MS, std } from "@mlq/core";
import { TrailingPercentile } from "./trailing-percentile.js";

export const REGIMES = ["trending", "ranging", "volatile"] as const;
export type Regime = (typeof REGIMES)[number];

export interface RegimeThresholds {
  /** Trailing vol (std of 1-bar log returns, ddof 1) at or above which the window is volatile. */
  volatileVol: number;
  trendingEfficiency: number;
}

/**
 * A window of L bars covers a trade only when all L bars start within the 2·L minutes
 * before its open: stale or very sparse candles say little about conditions at the open.
 */
export const WINDOW_SPAN_FACTOR = 2;

/** Std (ddof 1) of the 1-bar log returns of `closes`; NaN with fewer than 3 closes. */
export function trailingVol(closes: ArrayLike<number>): number {
  const returns: number[] = [];
  for (let i = 1; i < closes.length; i++) returns.push(Math.log(closes[i]! / closes[i - 1]!));
  return std(returns, 1);
}

/** |net move| / path length over `closes`, in [0, 1]; 0 on a flat path. */
export function efficiencyRatio(closes: ArrayLike<number>): number {
  const n = closes.length;
  if (n < 2) return 0;
  let path = 0;
  for (let i = 1; i < n; i++) path += Math.abs(closes[i]! - closes[i - 1]!);
  return path > 0 ? Math.abs(closes[n - 1]! - closes[0]!) / path : 0;
}

/** Regime of one window of closes (oldest first). */
export function classifyRegime(candleWindow: ArrayLike<number>, thresholds: RegimeThresholds): Regime {
  return regimeFrom(trailingVol(candleWindow), efficiencyRatio(candleWindow), thresholds.volatileVol, thresholds.trendingEfficiency);
}

function regimeFrom(vol: number, er: number, volatileVol: number, trendingEfficiency: number): Regime {
  // vol > 0 keeps a perfectly flat history (cutoff 0) from calling everything volatile.
  if (vol > 0 && vol >= volatileVol) return "volatile";
  return er >= trendingEfficiency ? "trending" : "ranging";
}

/**
 * Stand-in when no candles cover a trade: a trade whose |pnl_pct| is at or above
 * `volatileAbsPnlPct` (the `volatilePercentile` of the |pnl_pct| of trades closed before this
 * one opened, see `calibrate`) is 'volatile'; otherwise a winner is 'trending' (price moved its
 * way) and a loser 'ranging'. Crude, hence counted apart.
 */
export function proxyRegime(pnlPct: number, volatileAbsPnlPct: number): Regime {
  if (volatileAbsPnlPct > 0 && Math.abs(pnlPct) >= volatileAbsPnlPct) return "volatile";
  return pnlPct > 0 ? "trending" : "ranging";
}

/** One symbol's candle closes, oldest first (bucket start times in ms). */
export interface CandleCloses {
  bucketTsMs: ArrayLike<number>;
  close: ArrayLike<number>;
}

/** (symbol, opened_ts_ms) → regime, or null when no candles cover that open. */
export type RegimeLookup = (symbol: string, openedTsMs: number) => Regime | null;

interface SymbolIndex {
  ts: Float64Array;
  close: Float64Array;
  /** Prefix sums over bars 1..i of the log return, its square, and |Δclose|. */
  sumRet: Float64Array;
  sumRet2: Float64Array;
  sumPath: Float64Array;
}

interface RankedSymbol extends SymbolIndex {
  /** Trailing vol of the window ending at bar e (NaN when that window does not cover an open right after e). */
  volAt: Float64Array;
  /** Volatile cutoff for the window ending at bar e: the percentile of windows ending at or before e; NaN with too little history. */
  cutoffAt: Float64Array;
}

export interface RegimeIndexOptions {
  lookbackBars: number;
  volatilePercentile: number;
  trendingEfficiency: number;
  /**
   * Covering windows (ending at or before a trade's window, itself included) the symbol needs
   * before its vol is ranked; with fewer the lookup says null (no candles cover). Default
   * `lookbackBars`: a percentile of a handful of windows would call the first trades volatile.
   */
  minHistoryWindows?: number;
}

/**
 * Indexes each symbol's closes once (prefix sums, so every window costs O(1)) and returns
 * a lookup that binary-searches a trade's open time. Non-positive or non-finite closes are dropped.
 *
 * No look-ahead: a trade's window is ranked among the covering windows that ended at or before
 * it (a trailing percentile, kept in a Fenwick tree: O(n log n) per symbol), so appending later
 * candles never changes the regime of an earlier open.
 */
export function buildRegimeLookup(series: ReadonlyMap<string, CandleCloses>, options: RegimeIndexOptions): RegimeLookup {
  const L = options.lookbackBars;
  if (!Number.isInteger(L) || L < 3) throw new RangeError(`regimeLookbackBars must be an integer >= 3, got ${L}`);
  const minHistory = options.minHistoryWindows ?? L;
  if (!Number.isInteger(minHistory) || minHistory < 1) throw new RangeError(`minHistoryWindows must be an integer >= 1, got ${minHistory}`);
  const maxSpanMs = WINDOW_SPAN_FACTOR * L * MINUTE_MS;
  const indexes = new Map<string, RankedSymbol>();

  for (const [symbol, s] of series) {
    const idx = indexSymbol(s);
    const n = idx.ts.length;
    // Every window that would cover an open right after its last bar, in time order.
    const volAt = new Float64Array(n).fill(Number.NaN);
    for (let e = L - 1; e < n; e++) {
      const start = e - L + 1;
      if (idx.ts[start]! < idx.ts[e]! + MINUTE_MS - maxSpanMs) continue;
      volAt[e] = windowVol(idx, start, e);
    }
    const ranks = new TrailingPercentile(volAt);
    const cutoffAt = new Float64Array(n).fill(Number.NaN);
    for (let e = 0; e < n; e++) {
      ranks.addNext();
      if (Number.isFinite(volAt[e]!) && ranks.size >= minHistory) cutoffAt[e] = ranks.percentile(options.volatilePercentile);
    }
    indexes.set(symbol, { ...idx, volAt, cutoffAt });
  }

  return (symbol, openedTsMs) => {
    const idx = indexes.get(symbol);
    if (idx === undefined) return null;
    // Only bars that closed by the open: no look-ahead into the trade itself.
    const e = lastIndexAtOrBefore(idx.ts, openedTsMs - MINUTE_MS);
    const start = e - L + 1;
    if (start < 0 || idx.ts[start]! < openedTsMs - maxSpanMs) return null;
    // The open is at least a minute after bar e, so a window covering it also covers "right after e".
    const vol = idx.volAt[e]!;
    const cutoff = idx.cutoffAt[e]!;
    if (!Number.isFinite(vol) || Number.isNaN(cutoff)) return null;
    const path = idx.sumPath[e]! - idx.sumPath[start]!;
    const er = path > 0 ? Math.abs(idx.close[e]! - idx.close[start]!) / path : 0;
    return regimeFrom(vol, er, cutoff, options.trendingEfficiency);
  };
}

function indexSymbol(s: CandleCloses): SymbolIndex {
  const n = Math.min(s.bucketTsMs.length, s.close.length);
  const ts = new Float64Array(n);
  const close = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const c = s.close[i]!;
    const t = s.bucketTsMs[i]!;
    if (!(c > 0) || !Number.isFinite(c) || !Number.isFinite(t)) continue;
    ts[m] = t;
    close[m] = c;
    m++;
  }
  const sumRet = new Float64Array(m);
  const sumRet2 = new Float64Array(m);
  const sumPath = new Float64Array(m);
  for (let i = 1; i < m; i++) {
    const r = Math.log(close[i]! / close[i - 1]!);
    sumRet[i] = sumRet[i - 1]! + r;
    sumRet2[i] = sumRet2[i - 1]! + r * r;
    sumPath[i] = sumPath[i - 1]! + Math.abs(close[i]! - close[i - 1]!);
  }
  return { ts: ts.subarray(0, m), close: close.subarray(0, m), sumRet, sumRet2, sumPath };
}

/** Std (ddof 1) of the log returns of bars start+1..end, from the prefix sums. */
function windowVol(idx: SymbolIndex, start: number, end: number): number {
  const k = end - start;
  if (k < 2) return Number.NaN;
  const s1 = idx.sumRet[end]! - idx.sumRet[start]!;
  const s2 = idx.sumRet2[end]! - idx.sumRet2[start]!;
  return Math.sqrt(Math.max(0, (s2 - (s1 * s1) / k) / (k - 1)));
}

/** Largest i with ts[i] <= t, or -1. */
function lastIndexAtOrBefore(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
