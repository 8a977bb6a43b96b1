// Per-side slippage of one fill against the price at which its signal fired, and the
// UTC time-of-day bucket a fill belongs to.
import { DAY_MS, HOUR_MS } from "@mlq/core";

export type TradeSide = "long" | "short";
export type FillKind = "entry" | "exit";

export const TIME_OF_DAY_BUCKETS = ["00-06", "06-12", "12-18", "18-24"] as const;
export type TimeOfDayBucket = (typeof TIME_OF_DAY_BUCKETS)[number];

/** Why a side cannot be measured; each reason is counted in the output's `skipped`. */
export type SideSkipReason = "null_signal" | "zero_signal" | "invalid_price" | "missing_fill";

/** Returns why (signal, fill) cannot give a slippage figure, or null when both are usable prices. */
export function sideSkipReason(signal: unknown, fill: unknown): SideSkipReason | null {
  if (signal === null || signal === undefined) return "null_signal";
  if (signal === 0) return "zero_signal";
  if (typeof signal !== "number" || !Number.isFinite(signal) || signal < 0) return "invalid_price";
  if (fill === null || fill === undefined) return "missing_fill";
  if (typeof fill !== "number" || !Number.isFinite(fill) || fill <= 0) return "invalid_price";
  return null;
}

/**
 * Slippage of one fill in percent of the signal price: positive when the fill is worse
 * for the trader (long entry / short exit filled above the signal, long exit / short entry
 * below it), negative when it is better. Null when either price is unusable.
 */
export function sideSlippagePct(side: TradeSide, kind: FillKind, signal: number | null, fill: number | null): number | null {
  if (sideSkipReason(signal, fill) !== null) return null;
  const s = signal as number;
  const f = fill as number;
  // Buying (long entry, short exit) is hurt by a higher fill; selling by a lower one.
  const buys = (side === "long") === (kind === "entry");
  const adverse = buys ? f - s : s - f;
  return (adverse / s) * 100;
}

/** UTC time-of-day bucket of a timestamp; a fill at exactly 06:00:00.000 falls in '06-12'. */
export function timeOfDayBucket(tsMs: number): TimeOfDayBucket {
  return TIME_OF_DAY_BUCKETS[timeOfDayIndex(tsMs)]!;
}

/** Index of `timeOfDayBucket(tsMs)` in TIME_OF_DAY_BUCKETS (0..3). */
export function timeOfDayIndex(tsMs: number): number {
  const msOfDay = tsMs - Math.floor(tsMs / DAY_MS) * DAY_MS;
  return Math.min(3, Math.floor(msOfDay / (6 * HOUR_MS)));
}
