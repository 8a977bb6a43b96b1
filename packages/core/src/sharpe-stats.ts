// Sharpe-ratio inference for one arm (Bailey & López de Prado): the moment estimators,
// the variance of an estimated Sharpe ratio, PSR, MinTRL and P(SR_B > SR_A).
import { finiteOrNull, normalCdf, normalQuantile } from "./stats.js";

/** What the Sharpe inference needs from an arm; `ArmMetrics` satisfies it. */
export interface SharpeEstimate {
  /** Closed trades in the arm (n). */
  readonly trades: number;
  /** Per-trade Sharpe ratio: mean / sample std (ddof = 1); null when undefined. */
  readonly sharpe: number | null;
  /** Adjusted Fisher–Pearson skewness G1; null when undefined. */
  readonly skewness: number | null;
  /** Raw (non-excess) kurtosis m4 / m2²; null when undefined. */
  readonly kurtosis: number | null;
}

/** Biased central moments m2, m3, m4 (divided by n) around the sample mean. */
export function centralMoments(xs: ArrayLike<number>): { mean: number; m2: number; m3: number; m4: number } {
  const n = xs.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += xs[i]!;
  const mean = sum / n;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - mean;
    const d2 = d * d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
  }
  return { mean, m2: s2 / n, m3: s3 / n, m4: s4 / n };
}

/**
 * Adjusted Fisher–Pearson sample skewness G1 = √(n(n−1))/(n−2) · m3/m2^{3/2}
 * (Excel's SKEW, scipy `skew(bias=False)`). Null for n < 3 or zero variance.
 */
export function skewness(xs: ArrayLike<number>): number | null {
  const n = xs.length;
  if (n < 3) return null;
  const { m2, m3 } = centralMoments(xs);
  if (!(m2 > 0)) return null;
  const g1 = m3 / Math.pow(m2, 1.5);
  return finiteOrNull((Math.sqrt(n * (n - 1)) / (n - 2)) * g1);
}

/**
 * Raw (non-excess) kurtosis b2 = m4 / m2² (scipy `kurtosis(fisher=False, bias=True)`; 3 for
 * a normal sample). The plain moment ratio rather than the bias-adjusted G2 + 3, because it is
 * always ≥ 1 and is the γ4 of Bailey & López de Prado's formulas. Null for n < 2 or zero variance.
 */
export function kurtosis(xs: ArrayLike<number>): number | null {
  const n = xs.length;
  if (n < 2) return null;
  const { m2, m4 } = centralMoments(xs);
  if (!(m2 > 0)) return null;
  return finiteOrNull(m4 / (m2 * m2));
}

/**
 * 1 − γ3·SR + (γ4 − 1)/4·SR², the non-normality factor shared by V, PSR and MinTRL.
 * Null when an input is undefined or the factor is not positive: with the adjusted
 * skewness it can dip below zero on tiny, extreme samples, where no estimate is honest.
 */
export function sharpeVarianceFactor(est: SharpeEstimate): number | null {
  const { sharpe: sr, skewness: g3, kurtosis: g4 } = est;
  if (sr === null || g3 === null || g4 === null) return null;
  const factor = 1 - g3 * sr + ((g4 - 1) / 4) * sr * sr;
  return factor > 0 && Number.isFinite(factor) ? factor : null;
}

/** Variance of the estimated per-trade Sharpe ratio: V = factor / (n − 1). */
export function sharpeVariance(est: SharpeEstimate): number | null {
  const factor = sharpeVarianceFactor(est);
  if (factor === null || est.trades < 2) return null;
  return factor / (est.trades - 1);
}

/** Probabilistic Sharpe Ratio: P(true SR > benchmark) = Φ((SR − SR*)·√(n−1) / √factor). */
export function psr(est: SharpeEstimate, benchmarkSharpe = 0): number | null {
  const v = sharpeVariance(est);
  if (v === null || est.sharpe === null) return null;
  return finiteOrNull(normalCdf((est.sharpe - benchmarkSharpe) / Math.sqrt(v)));
}

/**
 * Minimum Track Record Length (in trades) for PSR ≥ `confidence`:
 * 1 + factor · (z_confidence / (SR − SR*))². Defined only when SR > SR*.
 */
export function minTrackRecordLength(est: SharpeEstimate, options: { benchmarkSharpe?: number; confidence?: number } = {}): number | null {
  const benchmark = options.benchmarkSharpe ?? 0;
  const z = normalQuantile(options.confidence ?? 0.95);
  const factor = sharpeVarianceFactor(est);
  if (factor === null || est.sharpe === null || !(est.sharpe > benchmark)) return null;
  const edge = est.sharpe - benchmark;
  return finiteOrNull(1 + factor * (z / edge) * (z / edge));
}

/**
 * P(SR_B > SR_A) for independent arms: Φ((SR_B − SR_A) / √(V_A + V_B)).
 * Null when either arm's Sharpe inference is undefined.
 */
export function probBBetter(a: SharpeEstimate, b: SharpeEstimate): number | null {
  const va = sharpeVariance(a);
  const vb = sharpeVariance(b);
  if (va === null || vb === null || a.sharpe === null || b.sharpe === null) return null;
  return finiteOrNull(normalCdf((b.sharpe - a.sharpe) / Math.sqrt(va + vb)));
}
