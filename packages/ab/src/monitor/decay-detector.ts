// Watches the live champion for decay with a one-sided CUSUM (Page, 1954) on its per-trade
// returns, standardized by their running σ. An hourly fixed-level test would roll back healthy
// champions regularly (the repeated-look trap); a CUSUM's false-alarm rate is its average run
// length, chosen here so a healthy champion is rolled back less than once a year.

export interface DecayPolicy {
  /** Healthy per-trade Sharpe ratio, in σ units (configured; never the A/B's estimate). */
  readonly referenceSharpe: number;
  /** The decayed per-trade Sharpe ratio the detector is tuned to catch quickly. */
  readonly decaySharpe: number;
  /** Alarm when the CUSUM statistic exceeds this (σ units). */
  readonly threshold: number;
  /** Trades used only to estimate σ before the statistic starts (default 30). */
  readonly warmupTrades?: number;
  /** Standardized returns are clipped to ±clip so one fat-tailed trade cannot decide alone (default 3). */
  readonly clip?: number;
}

export interface DecayState {
  /** Trades seen (including warm-up). */
  readonly trades: number;
  /** CUSUM statistic after the last trade (0 while warming up). */
  readonly statistic: number;
  /** Index (0-based) of the trade at which the statistic first crossed the threshold, or null. */
  readonly alarmAt: number | null;
  /** Running σ of the returns (ddof = 1) after the last trade; null before two trades. */
  readonly sigma: number | null;
  /** The largest statistic reached. */
  readonly peak: number;
}

/**
 * Allowance k of the CUSUM: a third of the way from the healthy to the decayed Sharpe ratio
 * (σ units). Page's midpoint minimizes the mean delay; on Student-t returns this point catches a
 * decay within 30 days more often at the same false-alarm rate (0.91 vs 0.88, README figures).
 */
export function decayAllowance(policy: Pick<DecayPolicy, "referenceSharpe" | "decaySharpe">): number {
  return policy.referenceSharpe - (policy.referenceSharpe - policy.decaySharpe) / 3;
}

/**
 * Runs the detector over returns in close order: S_i = max(0, S_{i−1} + k − z_i), with
 * z_i = clip(r_i / σ̂_{i−1}) and σ̂ the running std of the trades before i (so a trade never
 * standardizes itself). Deterministic, O(n).
 */
export function detectDecay(returns: ArrayLike<number>, policy: DecayPolicy): DecayState {
  if (!(policy.referenceSharpe > policy.decaySharpe))
    throw new RangeError(`referenceSharpe (${policy.referenceSharpe}) must exceed decaySharpe (${policy.decaySharpe})`);
  const warmup = Math.max(2, policy.warmupTrades ?? 30);
  const clip = policy.clip ?? 3;
  const k = decayAllowance(policy);
  let n = 0;
  let mean = 0;
  let m2 = 0;
  let s = 0;
  let peak = 0;
  let alarmAt: number | null = null;
  for (let i = 0; i < returns.length; i++) {
    const r = returns[i]!;
    if (!Number.isFinite(r)) continue;
    if (n >= warmup) {
      const sigma = Math.sqrt(m2 / (n - 1));
      if (sigma > 0) {
        const z = Math.max(-clip, Math.min(clip, r / sigma));
        s = Math.max(0, s + k - z);
        if (s > peak) peak = s;
        if (alarmAt === null && s > policy.threshold) alarmAt = i;
      }
    }
    n++;
    const d = r - mean; // Welford
    mean += d / n;
    m2 += d * (r - mean);
  }
  return { trades: n, statistic: s, alarmAt, sigma: n >= 2 ? Math.sqrt(m2 / (n - 1)) : null, peak };
}

/**
 * Siegmund's approximation of the in-control average run length of a CUSUM whose increments are
 * N(−drift, 1): (e^{2·drift·b} − 2·drift·b − 1) / (2·drift²), b = threshold + 1.166.
 */
export function cusumArl(drift: number, threshold: number): number {
  const b = threshold + 1.166;
  if (drift === 0) return b * b;
  const x = 2 * drift * b;
  return (Math.exp(x) - x - 1) / (2 * drift * drift);
}

/** The threshold whose Siegmund in-control ARL is `arl` trades, for a CUSUM with in-control drift `drift` > 0. */
export function cusumThresholdForArl(drift: number, arl: number): number {
  if (!(drift > 0) || !(arl > 1)) throw new RangeError(`cusumThresholdForArl needs drift > 0 and arl > 1 (got ${drift}, ${arl})`);
  let lo = 0;
  let hi = 1;
  while (cusumArl(drift, hi) < arl) hi *= 2;
  for (let i = 0; i < 100 && hi - lo > 1e-9; i++) {
    const mid = (lo + hi) / 2;
    if (cusumArl(drift, mid) < arl) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The detector's threshold for a champion trading `tradesPerYear`: its in-control ARL is
 * tradesPerYear / maxFalseAlarmsPerYear trades (Siegmund), the in-control drift being
 * referenceSharpe − allowance.
 */
export function decayThreshold(
  policy: Pick<DecayPolicy, "referenceSharpe" | "decaySharpe">,
  tradesPerYear: number,
  maxFalseAlarmsPerYear: number,
): number {
  const drift = policy.referenceSharpe - decayAllowance(policy);
  return cusumThresholdForArl(drift, tradesPerYear / maxFalseAlarmsPerYear);
}
