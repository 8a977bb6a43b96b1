// One look of a challenger's evaluation: where z stands against the α-spending boundary, given
// the looks already taken. The information of the independent-arms Sharpe difference grows with
// 1 / (1/n_A + 1/n_B); its fraction is measured against what the arms are expected to reach by
// the challenger's expiry (n_max per arm), and the expiry look spends whatever α is left.
import { sequentialBoundaries } from "./alpha-spending.js";

export interface LookInput {
  /** Closed trades of arm A and arm B at this look. */
  readonly tradesA: number;
  readonly tradesB: number;
  /** Trades per arm expected by the challenger's expiry (fixed at the evaluation's first look). */
  readonly nMaxPerArm: number;
  /** Information fractions of the earlier looks of this evaluation, in order. */
  readonly previousFractions: readonly number[];
  /** The challenger's α_k (its share of the yearly budget). */
  readonly alpha: number;
  /** The challenger's time is up: this is the final look (fraction 1). */
  readonly expired: boolean;
}

export interface LookResult {
  readonly informationFraction: number;
  /** Upper z boundary at this look (Infinity when this look may not reject). */
  readonly boundary: number;
  /** α spent up to and including this look. */
  readonly alphaSpent: number;
  /** Index of this look in the evaluation (1-based). */
  readonly look: number;
}

/** Information fraction: (1/(1/n_A + 1/n_B)) / (n_max / 2), capped at 1; 1 at expiry. */
export function informationFraction(tradesA: number, tradesB: number, nMaxPerArm: number, expired = false): number {
  if (expired) return 1;
  if (!(tradesA > 0 && tradesB > 0 && nMaxPerArm > 0)) return 0;
  const info = 1 / (1 / tradesA + 1 / tradesB);
  return Math.min(1, info / (nMaxPerArm / 2));
}

/** n_max per arm at the first look: the trade rate so far extrapolated to the expiry, never below today's count. */
export function expectedTradesAtExpiry(trades: number, elapsedMs: number, maxMs: number): number {
  if (!(elapsedMs > 0)) return trades;
  return Math.max(trades, Math.round((trades * maxMs) / elapsedMs));
}

// Boundaries depend only on (α, the looks' fractions); evaluations that look on the same
// schedule (simulations, repeated status reads) share them. Small and bounded.
const cache = new Map<string, ReturnType<typeof sequentialBoundaries>>();
const CACHE_SIZE = 256;

function cachedBoundaries(fractions: number[], alpha: number): ReturnType<typeof sequentialBoundaries> {
  const key = `${alpha}|${fractions.join(",")}`;
  let seq = cache.get(key);
  if (!seq) {
    seq = sequentialBoundaries(fractions, alpha);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, seq);
  }
  return seq;
}

export function sequentialLook(input: LookInput): LookResult {
  const t = informationFraction(input.tradesA, input.tradesB, input.nMaxPerArm, input.expired);
  return sequentialLookAt(t, input.previousFractions, input.alpha);
}

/**
 * This look at information fraction `t` (in [0, 1]; 1 = the final look). The paired shadow test uses
 * it with t = bars / bars expected by expiry: the HAC z's information grows with the bars.
 */
export function sequentialLookAt(t: number, previousFractions: readonly number[], alpha: number): LookResult {
  const fractions = [...previousFractions, Math.min(1, Math.max(0, t))];
  const seq = cachedBoundaries(fractions, alpha);
  const k = fractions.length - 1;
  return { informationFraction: seq.fractions[k]!, boundary: seq.boundaries[k]!, alphaSpent: seq.spent[k]!, look: k + 1 };
}
