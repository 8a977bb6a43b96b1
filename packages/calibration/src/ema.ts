// Recency-weighted slippage: an EMA seeded with the first value whose alpha is boosted for
// the most recent trades, so a change in execution quality shows up within days.

export interface EmaPolicy {
  /** alpha = 2 / (emaSpan + 1) */
  emaSpan: number;
  /** The last `recentTrades` values get alpha × recentBoost. */
  recentTrades: number;
  recentBoost: number;
  /** Upper bound on any alpha, so one trade never dominates. */
  alphaCap: number;
}

/**
 * EMA of `values` (already in close order); NaN for an empty input. `recentFrom` is the index
 * of the first value that gets the boosted alpha: by default the last `recentTrades` values,
 * one per trade; a bucket holding two sides of some trades passes where its recent trades start.
 */
export function emaSlippage(values: ArrayLike<number>, policy: EmaPolicy, recentFrom = values.length - policy.recentTrades): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const base = 2 / (policy.emaSpan + 1);
  const boosted = Math.min(base * policy.recentBoost, policy.alphaCap);
  const plain = Math.min(base, policy.alphaCap);
  const firstRecent = recentFrom;
  let ema = values[0]!;
  for (let i = 1; i < n; i++) {
    const alpha = i >= firstRecent ? boosted : plain;
    ema = alpha * values[i]! + (1 - alpha) * ema;
  }
  return ema;
}
