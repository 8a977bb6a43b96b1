// The synthetic market at one-minute resolution: a market-wide Markov regime chain, per-symbol
// log-price paths with a planted short-horizon momentum signal, and per-minute tick counts.
// Ticks are drawn later inside each minute (Brownian bridge between these minute prices).
import { DAY_MS, MINUTE_MS } from "@mlq/core";
import type { Rng } from "@mlq/core";

export const MINUTES_PER_YEAR = 525_600;

export type RegimeName = "calm" | "ranging" | "trending" | "volatile";

export interface RegimeSpec {
  readonly name: RegimeName;
  /** Annualized volatility drawn uniformly per episode. */
  readonly volRange: readonly [number, number];
  readonly meanHours: number;
  /** Weight when the chain picks the next regime. */
  readonly entryWeight: number;
  /** AR(1) coefficient of one-minute returns. */
  readonly ar1: number;
  /** Coefficient on each of the previous MOMENTUM_LAGS returns (the 5–15 minute signal). */
  readonly momentum: number;
  /** Absolute daily drift range of a trending episode (sign drawn per episode). */
  readonly dailyDrift: readonly [number, number];
}

export const MOMENTUM_LAGS = 10;

export const REGIMES: readonly RegimeSpec[] = [
  { name: "calm", volRange: [0.1, 0.25], meanHours: 20, entryWeight: 0.35, ar1: 0.05, momentum: 0.01, dailyDrift: [0, 0] },
  { name: "ranging", volRange: [0.25, 0.5], meanHours: 14, entryWeight: 0.3, ar1: -0.08, momentum: 0, dailyDrift: [0, 0] },
  { name: "trending", volRange: [0.3, 0.7], meanHours: 9, entryWeight: 0.25, ar1: 0.2, momentum: 0.03, dailyDrift: [0.01, 0.04] },
  { name: "volatile", volRange: [0.8, 1.5], meanHours: 5, entryWeight: 0.1, ar1: 0.1, momentum: 0.02, dailyDrift: [0, 0.03] },
];

/** Market-wide regime per minute: index into REGIMES, its annualized vol level and drift sign. */
export interface RegimePlan {
  readonly regime: Uint8Array;
  readonly vol: Float32Array;
  /** Per-minute drift of log price (trending/volatile episodes), before the symbol's multiplier. */
  readonly drift: Float32Array;
}

/** A whole UTC day forced into one regime so the paper period surely spans calm and stormy days. */
export interface RegimeAnchor {
  readonly dayStartMs: number;
  readonly regime: RegimeName;
  readonly vol: number;
}

/**
 * Builds the regime chain for `minutes` minutes starting at `fromMs`. Episodes last at least
 * an hour (mean hours to a day), so daily realized vol ranges from ~10 % to ~150 %.
 */
export function planRegimes(rng: Rng, fromMs: number, minutes: number, anchors: readonly RegimeAnchor[] = []): RegimePlan {
  const regime = new Uint8Array(minutes);
  const vol = new Float32Array(minutes);
  const drift = new Float32Array(minutes);
  let current = pickWeighted(rng, -1);
  let m = 0;
  while (m < minutes) {
    const spec = REGIMES[current]!;
    const length = Math.max(60, Math.round(60 + rng.exponential() * (spec.meanHours * 60 - 60)));
    const level = spec.volRange[0] + rng.next() * (spec.volRange[1] - spec.volRange[0]);
    const dailyDrift = (spec.dailyDrift[0] + rng.next() * (spec.dailyDrift[1] - spec.dailyDrift[0])) * (rng.next() < 0.5 ? -1 : 1);
    const end = Math.min(minutes, m + length);
    for (; m < end; m++) {
      regime[m] = current;
      vol[m] = level;
      drift[m] = dailyDrift / 1440;
    }
    current = pickWeighted(rng, current);
  }
  for (const anchor of anchors) {
    const index = REGIMES.findIndex((r) => r.name === anchor.regime);
    const first = Math.max(0, Math.floor((anchor.dayStartMs - fromMs) / MINUTE_MS));
    const last = Math.min(minutes, first + DAY_MS / MINUTE_MS);
    for (let k = first; k < last; k++) {
      regime[k] = index;
      vol[k] = anchor.vol;
      drift[k] = 0;
    }
  }
  return { regime, vol, drift };
}

function pickWeighted(rng: Rng, exclude: number): number {
  let total = 0;
  for (let i = 0; i < REGIMES.length; i++) if (i !== exclude) total += REGIMES[i]!.entryWeight;
  let u = rng.next() * total;
  for (let i = 0; i < REGIMES.length; i++) {
    if (i === exclude) continue;
    u -= REGIMES[i]!.entryWeight;
    if (u < 0) return i;
  }
  return exclude === REGIMES.length - 1 ? REGIMES.length - 2 : REGIMES.length - 1;
}

/** Intraday volatility shape: quiet around 03:00 UTC, busiest around 15:00 UTC (US open). */
export function intradayVolFactor(tsMs: number): number {
  const hour = (tsMs % DAY_MS) / 3_600_000;
  return 1 + 0.25 * Math.cos((2 * Math.PI * (hour - 15)) / 24);
}

/**
 * Anchors for the demo scenario: one calm and one volatile UTC day inside the paper period,
 * so the regime-diversity gate sees the paper period cover the history's 20th–80th band.
 */
export function demoAnchors(paperFromMs: number, toMs: number): RegimeAnchor[] {
  const firstFullDay = Math.ceil(paperFromMs / DAY_MS) * DAY_MS;
  const fullDays = Math.floor((toMs - firstFullDay) / DAY_MS);
  if (fullDays < 3) return [];
  const calmDay = firstFullDay + Math.floor(fullDays * 0.35) * DAY_MS;
  const stormDay = firstFullDay + Math.floor(fullDays * 0.75) * DAY_MS;
  return [
    { dayStartMs: calmDay, regime: "calm", vol: 0.1 },
    { dayStartMs: stormDay, regime: "volatile", vol: 1.4 },
  ];
}

/**
 * One symbol's log price at every minute boundary (minutes + 1 values) and the per-minute
 * standard deviation used inside the minute. One-minute returns follow
 *   r_t = drift + ar1·r_{t−1} + momentum·Σ_{j=1..10} r_{t−j} + σ_t·ε_t  (+ rare jumps)
 * so the next 15 minutes lean on the past 5–15 minutes: the planted, learnable signal.
 */
export function simulateMinutePath(
  rng: Rng,
  plan: RegimePlan,
  fromMs: number,
  basePrice: number,
  volMultiplier: number,
): { logPrice: Float64Array; minuteSigma: Float64Array } {
  const minutes = plan.regime.length;
  const logPrice = new Float64Array(minutes + 1);
  const minuteSigma = new Float64Array(minutes);
  const recent = new Float64Array(MOMENTUM_LAGS);
  let recentSum = 0;
  let head = 0;
  let previous = 0;
  logPrice[0] = Math.log(basePrice);
  for (let m = 0; m < minutes; m++) {
    const spec = REGIMES[plan.regime[m]!]!;
    const sigma = (plan.vol[m]! * volMultiplier * intradayVolFactor(fromMs + m * MINUTE_MS)) / Math.sqrt(MINUTES_PER_YEAR);
    minuteSigma[m] = sigma;
    let shock = sigma * rng.normal();
    if (rng.next() < 0.0005) shock += 6 * sigma * rng.normal();
    const r = plan.drift[m]! * volMultiplier + spec.ar1 * previous + spec.momentum * recentSum + shock;
    logPrice[m + 1] = logPrice[m]! + r;
    recentSum += r - recent[head]!;
    recent[head] = r;
    head = (head + 1) % MOMENTUM_LAGS;
    previous = r;
  }
  return { logPrice, minuteSigma };
}

/** Relative tick arrival intensity: more trading when volatile and during the US session. */
export function tickIntensity(vol: number, tsMs: number): number {
  const hour = (tsMs % DAY_MS) / 3_600_000;
  const session = 1 + 0.3 * Math.cos((2 * Math.PI * (hour - 15)) / 24);
  return session * Math.min(2.5, Math.max(0.5, 0.6 + 0.8 * (vol / 0.5)));
}

/**
 * Splits exactly `total` ticks over the minutes in proportion to `weights`. When there are at
 * least as many ticks as minutes, every minute gets one first so 1-minute candles cover all.
 */
export function allocateTicks(weights: ArrayLike<number>, total: number): Uint32Array {
  const n = weights.length;
  const counts = new Uint32Array(n);
  if (n === 0 || total <= 0) return counts;
  let remaining = total;
  if (total >= n) {
    counts.fill(1);
    remaining -= n;
  }
  let weightSum = 0;
  for (let i = 0; i < n; i++) weightSum += weights[i]!;
  // Cumulative rounding keeps the exact total and never drifts.
  let cumulative = 0;
  let assigned = 0;
  for (let i = 0; i < n; i++) {
    cumulative += weights[i]!;
    const target = i === n - 1 ? remaining : Math.floor((cumulative / weightSum) * remaining);
    counts[i]! += target - assigned;
    assigned = target;
  }
  return counts;
}
