// Deflated Sharpe Ratio (Bailey & López de Prado 2014): the PSR of the best of N trials measured against
// the Sharpe the best of N skill-less trials is expected to reach. Per-bar (non-annualized) units throughout.
import { normalQuantile } from "./stats.js";
import { centralMoments, kurtosis, psr, skewness } from "./sharpe-stats.js";

export const EULER_MASCHERONI = 0.5772156649015329;

/**
 * SR0 = √V·((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))), the expected maximum of N independent
 * Sharpe estimates with true Sharpe 0 and variance V across trials. N may be fractional (an
 * effective N). For N ≤ 1 there is no selection: 0; the approximation dips below 0 for N just above
 * 1, where the exact expected maximum is ≥ 0, so it is floored at 0.
 */
export function expectedMaxSharpe(trials: number, sharpeVariance: number): number {
  if (!(trials > 1) || !(sharpeVariance > 0)) return 0;
  const g = EULER_MASCHERONI;
  const sr0 = Math.sqrt(sharpeVariance) * ((1 - g) * normalQuantile(1 - 1 / trials) + g * normalQuantile(1 - 1 / (trials * Math.E)));
  return Math.max(0, sr0);
}

/**
 * Effective number of independent trials for candidates whose returns have average pairwise
 * correlation ρ̄: N_eff = ρ̄ + (1 − ρ̄)·N — N when uncorrelated, 1 when perfectly correlated.
 * A negative ρ̄ is treated as 0 (N_eff never exceeds N).
 */
export function effectiveTrials(trials: number, averageCorrelation: number): number {
  const rho = Math.min(1, Math.max(0, averageCorrelation));
  return rho + (1 - rho) * trials;
}

/** Mean Pearson correlation over all pairs; series with zero variance are left out. Null with < 2 left. */
export function averagePairwiseCorrelation(series: readonly ArrayLike<number>[]): number | null {
  const centred: Float64Array[] = [];
  const norms: number[] = [];
  for (const s of series) {
    const { mean } = centralMoments(s);
    const d = Float64Array.from(s as ArrayLike<number>, (x) => x - mean);
    let ss = 0;
    for (let t = 0; t < d.length; t++) ss += d[t]! * d[t]!;
    if (!(ss > 0)) continue;
    centred.push(d);
    norms.push(Math.sqrt(ss));
  }
  if (centred.length < 2) return null;
  let total = 0;
  let pairs = 0;
  for (let i = 0; i < centred.length; i++) {
    for (let j = i + 1; j < centred.length; j++) {
      const x = centred[i]!;
      const y = centred[j]!;
      let dot = 0;
      for (let t = 0; t < x.length; t++) dot += x[t]! * y[t]!;
      total += dot / (norms[i]! * norms[j]!);
      pairs++;
    }
  }
  return total / pairs;
}

export interface DeflatedSharpeInput {
  /** The selected trial's per-bar Sharpe (mean / std, ddof = 1). */
  readonly sharpe: number;
  /** T, its number of return observations. */
  readonly observations: number;
  /** Adjusted skewness G1 and raw kurtosis of its returns (3 for normal). */
  readonly skewness: number;
  readonly kurtosis: number;
  /** N: trials tried (independent, or effective). */
  readonly trials: number;
  /** V[SR_n]: variance of the trials' per-bar Sharpe estimates. */
  readonly sharpeVariance: number;
}

export interface DeflatedSharpe {
  /** SR0, the benchmark the selected Sharpe is deflated against. */
  readonly expectedMaxSharpe: number;
  /** PSR(SR0) = Φ((SR − SR0)·√(T − 1) / √(1 − γ3·SR + (γ4 − 1)/4·SR²)); null when undefined. */
  readonly dsr: number | null;
}

export function deflatedSharpeRatio(input: DeflatedSharpeInput): DeflatedSharpe {
  const sr0 = expectedMaxSharpe(input.trials, input.sharpeVariance);
  const dsr = psr({ trades: input.observations, sharpe: input.sharpe, skewness: input.skewness, kurtosis: input.kurtosis }, sr0);
  return { expectedMaxSharpe: sr0, dsr };
}

export interface TrialsDeflation extends DeflatedSharpe {
  /** Index of the selected (highest-Sharpe) candidate; null when no candidate has a Sharpe. */
  readonly selected: number | null;
  readonly sharpe: number | null;
  /** Per candidate; 0 for a candidate whose returns are all 0 (it never traded), null for other zero-variance series. */
  readonly sharpes: readonly (number | null)[];
  readonly observations: number;
  readonly skewness: number | null;
  readonly kurtosis: number | null;
  readonly trials: number;
  readonly averageCorrelation: number | null;
  readonly effectiveTrials: number;
  readonly sharpeVariance: number | null;
}

/**
 * DSR of the best of several candidates scored on the same bars (e.g. one validation split): every
 * candidate counts as a trial; V[SR_n] is the sample variance (ddof = 1) of their Sharpes;
 * N is replaced by the effective N of their average pairwise correlation.
 */
export function deflatedSharpeOfTrials(candidates: readonly ArrayLike<number>[]): TrialsDeflation {
  const sharpes = candidates.map(perBarSharpe);
  let selected: number | null = null;
  for (let i = 0; i < sharpes.length; i++) {
    const s = sharpes[i];
    if (s !== null && s !== undefined && (selected === null || s > sharpes[selected]!)) selected = i;
  }
  const defined = sharpes.filter((s): s is number => s !== null);
  const sharpeVariance = defined.length >= 2 ? sampleVariance(defined) : null;
  const averageCorrelation = averagePairwiseCorrelation(candidates);
  const nEff = effectiveTrials(candidates.length, averageCorrelation ?? 0);
  const best = selected === null ? null : candidates[selected]!;
  const sk = best === null ? null : skewness(best);
  const ku = best === null ? null : kurtosis(best);
  const sharpe = selected === null ? null : sharpes[selected]!;
  const deflated =
    sharpe === null || sk === null || ku === null
      ? { expectedMaxSharpe: expectedMaxSharpe(nEff, sharpeVariance ?? 0), dsr: null }
      : deflatedSharpeRatio({
          sharpe,
          observations: best!.length,
          skewness: sk,
          kurtosis: ku,
          trials: nEff,
          sharpeVariance: sharpeVariance ?? 0,
        });
  return {
    ...deflated,
    selected,
    sharpe,
    sharpes,
    observations: best?.length ?? 0,
    skewness: sk,
    kurtosis: ku,
    trials: candidates.length,
    averageCorrelation,
    effectiveTrials: nEff,
    sharpeVariance,
  };
}

function perBarSharpe(xs: ArrayLike<number>): number | null {
  const n = xs.length;
  if (n < 2) return null;
  const { mean, m2 } = centralMoments(xs);
  if (m2 > 0) {
    const sr = mean / Math.sqrt((m2 * n) / (n - 1));
    return Number.isFinite(sr) ? sr : null;
  }
  return mean === 0 ? 0 : null;
}

function sampleVariance(xs: readonly number[]): number {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return xs.reduce((s, x) => s + (x - m) * (x - m), 0) / (xs.length - 1);
}
