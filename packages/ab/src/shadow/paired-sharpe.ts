// Paired tests of SR_b − SR_a for two return series on the same bars (champion a, challenger b):
// Jobson–Korkie with Memmel's (2003) correction, and its HAC-studentized delta-method version
// (Ledoit & Wolf 2008, §3.1) for autocorrelated series. Sharpe ratios are per bar, std with ddof = 1.
import { ConfigError, InputDataError, normalCdf } from "@mlq/core";
import { longRunVariance, type HacKernel } from "./long-run-variance.js";

export type PairedSharpeStatus = "ok" | "identical" | "degenerate";

export interface PairedSharpeResult {
  readonly method: "jobson-korkie-memmel" | "hac" | "block-bootstrap";
  /** T, the number of paired bars. */
  readonly bars: number;
  readonly sharpeA: number | null;
  readonly sharpeB: number | null;
  /** SR_b − SR_a. */
  readonly difference: number | null;
  readonly correlation: number | null;
  /** Standard error of the difference. */
  readonly standardError: number | null;
  /** difference / standardError; 0 unless status is "ok". */
  readonly z: number;
  /** One-sided p for H0 "b is no better than a" (SR_b ≤ SR_a): small p means b is better. */
  readonly pBetter: number;
  /** The mirror: H0 "b is no worse" (SR_b ≥ SR_a): small p means b is worse. */
  readonly pWorse: number;
  /**
   * "identical": the two series are equal bar for bar — no difference, both p = 1.
   * "degenerate": a series with zero variance (e.g. a version that never trades) or a zero standard
   * error leaves the test undefined — reported as no evidence either way, both p = 1, with `reason`.
   */
  readonly status: PairedSharpeStatus;
  readonly reason: string | null;
}

export interface HacOptions {
  /** Holding period H in bars; the bandwidth may not be shorter. */
  readonly horizonBars: number;
  /** Lags j < bandwidth carry weight; default 2·H (see DEFAULT_BANDWIDTH_PER_HORIZON). */
  readonly bandwidth?: number;
  readonly kernel?: HacKernel;
}

export const DEFAULT_HAC_KERNEL: HacKernel = "parzen";
export const DEFAULT_BANDWIDTH_PER_HORIZON = 2;

/** Sample moments of a pair of series (biased: divided by T). */
export interface PairMoments {
  readonly n: number;
  readonly meanA: number;
  readonly meanB: number;
  /** E[a²], E[b²]. */
  readonly squareA: number;
  readonly squareB: number;
  readonly varA: number;
  readonly varB: number;
  readonly cov: number;
}

export function pairMoments(a: ArrayLike<number>, b: ArrayLike<number>): PairMoments {
  const n = a.length;
  let sa = 0;
  let sb = 0;
  for (let t = 0; t < n; t++) {
    sa += a[t]!;
    sb += b[t]!;
  }
  const meanA = sa / n;
  const meanB = sb / n;
  let vaa = 0;
  let vbb = 0;
  let vab = 0;
  for (let t = 0; t < n; t++) {
    const da = a[t]! - meanA;
    const db = b[t]! - meanB;
    vaa += da * da;
    vbb += db * db;
    vab += da * db;
  }
  const varA = vaa / n;
  const varB = vbb / n;
  return { n, meanA, meanB, squareA: varA + meanA * meanA, squareB: varB + meanB * meanB, varA, varB, cov: vab / n };
}

/** Per-bar Sharpe mean / std (ddof = 1) from the biased variance; null for zero variance or n < 2. */
export function sharpeFromMoments(mean: number, biasedVar: number, n: number): number | null {
  if (n < 2 || !(biasedVar > 0)) return null;
  const sr = mean / Math.sqrt((biasedVar * n) / (n - 1));
  return Number.isFinite(sr) ? sr : null;
}

/**
 * Jobson–Korkie–Memmel: z = (SR_b − SR_a)/√θ,
 * θ = (1/T)·(2 − 2ρ + ½·(SR_a² + SR_b² − 2·SR_a·SR_b·ρ²)). Assumes i.i.d. normal returns.
 */
export function jobsonKorkieMemmel(a: ArrayLike<number>, b: ArrayLike<number>): PairedSharpeResult {
  const pre = preparePair("jobson-korkie-memmel", a, b);
  if ("result" in pre) return pre.result;
  const { m, srA, srB, rho } = pre;
  const theta = (2 - 2 * rho + 0.5 * (srA * srA + srB * srB - 2 * srA * srB * rho * rho)) / m.n;
  return finish("jobson-korkie-memmel", m.n, srA, srB, rho, Math.sqrt(theta));
}

/**
 * HAC-studentized difference: by the delta method on v = (μ_a, μ_b, E[a²], E[b²]),
 * se² = ∇f′·Ψ·∇f / T with Ψ the kernel long-run covariance of y_t = (a_t, b_t, a_t², b_t²) —
 * computed as the long-run variance of the scalar u_t = ∇f′·(y_t − ȳ). f(v) = SR_b − SR_a.
 */
export function hacPairedSharpe(a: ArrayLike<number>, b: ArrayLike<number>, options: HacOptions): PairedSharpeResult {
  const { kernel, bandwidth } = resolveHac(options);
  const pre = preparePair("hac", a, b);
  if ("result" in pre) return pre.result;
  const { m, srA, srB, rho } = pre;
  const g = sharpeDifferenceGradient(m.meanA, m.meanB, m.squareA, m.squareB);
  const u = new Float64Array(m.n);
  for (let t = 0; t < m.n; t++) {
    const x = a[t]!;
    const y = b[t]!;
    u[t] = g[0] * (x - m.meanA) + g[1] * (y - m.meanB) + g[2] * (x * x - m.squareA) + g[3] * (y * y - m.squareB);
  }
  const se = Math.sqrt(longRunVariance(u, kernel, bandwidth) / m.n);
  return finish("hac", m.n, srA, srB, rho, se);
}

/** ∇(SR_b − SR_a) with respect to (μ_a, μ_b, E[a²], E[b²]), SR = μ/√(E[x²] − μ²). */
export function sharpeDifferenceGradient(meanA: number, meanB: number, squareA: number, squareB: number): [number, number, number, number] {
  const ka = Math.pow(squareA - meanA * meanA, -1.5);
  const kb = Math.pow(squareB - meanB * meanB, -1.5);
  return [-squareA * ka, squareB * kb, 0.5 * meanA * ka, -0.5 * meanB * kb];
}

export function resolveHac(options: HacOptions): { kernel: HacKernel; bandwidth: number } {
  const h = options.horizonBars;
  if (!(Number.isInteger(h) && h >= 1)) throw new ConfigError(`paired Sharpe test: horizon ${h} is not a whole number of bars ≥ 1`);
  const bandwidth = options.bandwidth ?? DEFAULT_BANDWIDTH_PER_HORIZON * h;
  if (!(Number.isInteger(bandwidth) && bandwidth >= h)) {
    throw new ConfigError(`paired Sharpe test: HAC bandwidth ${bandwidth} must be a whole number ≥ the horizon (${h} bars)`);
  }
  return { kernel: options.kernel ?? DEFAULT_HAC_KERNEL, bandwidth };
}

type Prepared = { m: PairMoments; srA: number; srB: number; rho: number } | { result: PairedSharpeResult };

/** Validates the pair and settles the identical and zero-variance cases before any statistic. */
export function preparePair(method: PairedSharpeResult["method"], a: ArrayLike<number>, b: ArrayLike<number>): Prepared {
  validatePair(a, b);
  const m = pairMoments(a, b);
  const srA = sharpeFromMoments(m.meanA, m.varA, m.n);
  const srB = sharpeFromMoments(m.meanB, m.varB, m.n);
  const rho = m.varA > 0 && m.varB > 0 ? Math.max(-1, Math.min(1, m.cov / Math.sqrt(m.varA * m.varB))) : null;
  const base = { method, bars: m.n, sharpeA: srA, sharpeB: srB, correlation: rho, standardError: null, z: 0, pBetter: 1, pWorse: 1 };
  if (isIdentical(a, b)) {
    return {
      result: {
        ...base,
        difference: srA === null ? null : 0,
        standardError: 0,
        status: "identical",
        reason: "the two series are identical",
      },
    };
  }
  if (m.n < 3) return { result: { ...base, difference: null, status: "degenerate", reason: `only ${m.n} bars` } };
  if (srA === null || srB === null || rho === null) {
    const which =
      srA === null && srB === null ? "both series have" : srA === null ? "the champion series (a) has" : "the challenger series (b) has";
    return { result: { ...base, difference: null, status: "degenerate", reason: `${which} zero variance (no trades in the window?)` } };
  }
  return { m, srA, srB, rho };
}

/** z and the one-sided p-values of the normal approximation; a zero or undefined error is degenerate. */
function finish(method: PairedSharpeResult["method"], n: number, srA: number, srB: number, rho: number, se: number): PairedSharpeResult {
  const difference = srB - srA;
  const base = { method, bars: n, sharpeA: srA, sharpeB: srB, difference, correlation: rho };
  if (!(Number.isFinite(se) && se > 0)) {
    return {
      ...base,
      standardError: Number.isFinite(se) ? se : null,
      z: 0,
      pBetter: 1,
      pWorse: 1,
      status: "degenerate",
      reason: "zero standard error of the difference",
    };
  }
  const z = difference / se;
  return { ...base, standardError: se, z, pBetter: normalCdf(-z), pWorse: normalCdf(z), status: "ok", reason: null };
}

function validatePair(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new InputDataError(`paired Sharpe test: the series differ in length (champion ${a.length} bars, challenger ${b.length})`);
  }
  for (let t = 0; t < a.length; t++) {
    if (!Number.isFinite(a[t]!)) throw new InputDataError(`paired Sharpe test: champion return at bar #${t} is ${a[t]}`);
    if (!Number.isFinite(b[t]!)) throw new InputDataError(`paired Sharpe test: challenger return at bar #${t} is ${b[t]}`);
  }
}

function isIdentical(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  for (let t = 0; t < a.length; t++) if (a[t] !== b[t]) return false;
  return true;
}
