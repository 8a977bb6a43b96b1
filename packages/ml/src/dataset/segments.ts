// Candles exist only for minutes with ticks. Short holes are normal and features count bars
// across them; a hole longer than `maxGapMinutes` starts a new segment so that no return,
// window or label spans it (each segment warms up again).
import { ConfigError, MINUTE_MS } from "@mlq/core";

export const DEFAULT_MAX_GAP_MINUTES = 5;

/**
 * Segment boundaries as `[start0, start1, …, n]`: segment k is `[bounds[k], bounds[k+1])`
 * (`[0]`, i.e. no segment, for an empty series).
 * A bar starts a new segment when it is more than `maxGapMinutes` after its predecessor,
 * so a bar's segment depends only on itself and earlier bars.
 */
export function segmentBounds(ts: Float64Array, maxGapMinutes = DEFAULT_MAX_GAP_MINUTES): Int32Array {
  if (!(maxGapMinutes >= 1)) throw new ConfigError(`maxGapMinutes must be ≥ 1, got ${maxGapMinutes}`);
  const maxGapMs = maxGapMinutes * MINUTE_MS;
  const n = ts.length;
  const bounds: number[] = [0];
  for (let i = 1; i < n; i++) if (ts[i]! - ts[i - 1]! > maxGapMs) bounds.push(i);
  if (n > 0) bounds.push(n);
  return Int32Array.from(bounds);
}
