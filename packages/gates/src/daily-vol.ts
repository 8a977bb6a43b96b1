// Daily realized volatility per (symbol, UTC day) from 1-minute candles, for the regime gate.
import { DAY_MS, MINUTE_MS, std } from "@mlq/core";
import type { CloseSeries, DailyVol } from "./types.js";

export const MINUTES_PER_YEAR = 525_600;

export interface DailyVolOptions {
  /**
   * Returns between bars further apart than this are skipped. Candles exist only for minutes
   * with ticks, and a return across a long silence says little about one-minute variance.
   * Default 5 minutes.
   */
  maxGapMinutes?: number;
}

/**
 * Annualized realized vol (%) of each (symbol, UTC day) with at least `minReturns` returns.
 *
 * Estimator: a log return r spanning k minutes (consecutive bars k ≤ maxGapMinutes apart)
 * enters as r / √k, its per-minute equivalent: under a random walk its variance is k·σ²_min,
 * so r / √k has variance σ²_min like a one-minute return. The day's vol is
 * std(ddof = 1) of these scaled returns × √525600 × 100. A return belongs to a day only when
 * both of its bars lie in it (no return across midnight); `returns` counts returns, not minutes.
 */
export function dailyRealizedVols(series: CloseSeries, minReturns: number, options: DailyVolOptions = {}): DailyVol[] {
  const maxGapMs = (options.maxGapMinutes ?? 5) * MINUTE_MS;
  const minCount = Math.max(2, minReturns);
  const out: DailyVol[] = [];
  const { ts, close } = series;
  let day = Number.NaN;
  let returns: number[] = [];
  const finishDay = (): void => {
    if (returns.length >= minCount) {
      const vol = std(returns, 1) * Math.sqrt(MINUTES_PER_YEAR) * 100;
      if (Number.isFinite(vol)) out.push({ symbol: series.symbol, dayMs: day, vol, returns: returns.length });
    }
    returns = [];
  };
  for (let i = 1; i < ts.length; i++) {
    const d = Math.floor(ts[i]! / DAY_MS) * DAY_MS;
    if (d !== day) {
      finishDay();
      day = d;
    }
    const prev = ts[i - 1]!;
    const spanMs = ts[i]! - prev;
    if (prev < d || spanMs > maxGapMs || spanMs <= 0) continue;
    // Bars sit on minute boundaries; rounding guards against a stray millisecond.
    const minutes = Math.max(1, Math.round(spanMs / MINUTE_MS));
    const r = Math.log(close[i]! / close[i - 1]!) / Math.sqrt(minutes);
    if (Number.isFinite(r)) returns.push(r);
  }
  finishDay();
  return out;
}
