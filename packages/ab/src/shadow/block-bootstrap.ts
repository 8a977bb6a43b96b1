// Studentized circular block bootstrap for SR_b − SR_a (Ledoit & Wolf 2008, §3.2): one-sided p-values
// that stay valid when per-bar returns are autocorrelated over holding periods and not normal.
import { ConfigError, createRng, type Rng } from "@mlq/core";
import type { HacKernel } from "./long-run-variance.js";
import {
  hacPairedSharpe,
  resolveHac,
  sharpeDifferenceGradient,
  sharpeFromMoments,
  type HacOptions,
  type PairedSharpeResult,
} from "./paired-sharpe.js";

export interface BlockBootstrapOptions extends HacOptions {
  /** Fixed block length b ≥ H; default 2·H. */
  readonly blockLength?: number;
  /** Fixed number of resamples M; default 2,000. */
  readonly resamples?: number;
  /** Seed of the resampling stream (createRng); the same data and seed give the same p. */
  readonly seed?: number;
}

export interface BlockBootstrapResult extends PairedSharpeResult {
  readonly method: "block-bootstrap";
  readonly blockLength: number;
  readonly resamples: number;
  /** Resamples in which a series had zero variance (counted as at least as extreme in both tails). */
  readonly degenerateResamples: number;
  readonly kernel: HacKernel;
  readonly bandwidth: number;
}

export const DEFAULT_BOOTSTRAP_RESAMPLES = 2000;
export const DEFAULT_BLOCK_LENGTH_PER_HORIZON = 2;

/**
 * The statistic is z = Δ̂/se(Δ̂), Δ̂ = SR_b − SR_a and se the HAC standard error (`hacPairedSharpe`).
 * Each resample concatenates l = ⌊T/b⌋ blocks of b consecutive bars, starts drawn uniformly on the
 * circle (so the resampled mean is centred on the sample mean), and is studentized with the block
 * estimator matched to it: Ψ* = (1/l)·Σ_j ζ_j ζ_j′, ζ_j = b^{−½}·Σ_{t∈block j}(y*_t − ȳ*), giving
 * z*_m = (Δ̂*_m − Δ̂)/se*_m. pBetter = (1 + #{z*_m ≥ z})/(M + 1), pWorse = (1 + #{z*_m ≤ z})/(M + 1).
 * Block sums are precomputed for all T circular starts, so a resample costs O(l), not O(T).
 */
export function bootstrapPairedSharpe(a: ArrayLike<number>, b: ArrayLike<number>, options: BlockBootstrapOptions): BlockBootstrapResult {
  const { kernel, bandwidth } = resolveHac(options);
  const h = options.horizonBars;
  const blockLength = options.blockLength ?? DEFAULT_BLOCK_LENGTH_PER_HORIZON * h;
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  if (!(Number.isInteger(blockLength) && blockLength >= h)) {
    throw new ConfigError(`block bootstrap: block length ${blockLength} must be a whole number ≥ the horizon (${h} bars)`);
  }
  if (!(Number.isInteger(resamples) && resamples >= 1))
    throw new ConfigError(`block bootstrap: resamples ${resamples} is not a whole number ≥ 1`);
  const real = hacPairedSharpe(a, b, { horizonBars: h, bandwidth, kernel });
  const extra = { method: "block-bootstrap" as const, blockLength, resamples, degenerateResamples: 0, kernel, bandwidth };
  if (real.status !== "ok") return { ...real, ...extra };
  const n = a.length;
  const blocks = Math.floor(n / blockLength);
  if (blocks < 2) {
    return {
      ...real,
      ...extra,
      z: 0,
      pBetter: 1,
      pWorse: 1,
      status: "degenerate",
      reason: `${n} bars hold fewer than 2 blocks of ${blockLength}`,
    };
  }

  const rng = createRng(options.seed ?? 0, "paired-sharpe-block-bootstrap");
  const counts = studentizedResamples(circularBlockSums(a, b, blockLength), n, blockLength, resamples, rng, real.difference!, real.z);
  return {
    ...real,
    ...extra,
    degenerateResamples: counts.degenerate,
    pBetter: (1 + counts.atLeast) / (resamples + 1),
    pWorse: (1 + counts.atMost) / (resamples + 1),
  };
}

/**
 * Draws `resamples` circular block resamples and counts z*_m ≥ z and z*_m ≤ z; a resample in which a
 * series has zero variance (or se* = 0) has no z*_m and counts in both tails.
 */
function studentizedResamples(sums: Float64Array, n: number, blockLength: number, resamples: number, rng: Rng, delta: number, z: number) {
  const blocks = Math.floor(n / blockLength);
  const nStar = blocks * blockLength;
  const starts = new Int32Array(blocks);
  let atLeast = 0;
  let atMost = 0;
  let degenerate = 0;
  for (let m = 0; m < resamples; m++) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < blocks; j++) {
      const k = 4 * rng.int(n);
      starts[j] = k;
      s0 += sums[k]!;
      s1 += sums[k + 1]!;
      s2 += sums[k + 2]!;
      s3 += sums[k + 3]!;
    }
    const muA = s0 / nStar;
    const muB = s1 / nStar;
    const sqA = s2 / nStar;
    const sqB = s3 / nStar;
    const srA = sharpeFromMoments(muA, nonNegativeVariance(sqA, muA), nStar);
    const srB = sharpeFromMoments(muB, nonNegativeVariance(sqB, muB), nStar);
    let zStar = Number.NaN;
    if (srA !== null && srB !== null) {
      // se*² = ∇′Ψ*∇ / n* = Σ_j (∇′(S_j − b·ȳ*))² / n*², S_j the block's sums of (a, b, a², b²).
      const g = sharpeDifferenceGradient(muA, muB, sqA, sqB);
      const c = blockLength * (g[0] * muA + g[1] * muB + g[2] * sqA + g[3] * sqB);
      let ss = 0;
      for (let j = 0; j < blocks; j++) {
        const k = starts[j]!;
        const u = g[0] * sums[k]! + g[1] * sums[k + 1]! + g[2] * sums[k + 2]! + g[3] * sums[k + 3]! - c;
        ss += u * u;
      }
      const se = Math.sqrt(ss) / nStar;
      if (se > 0 && Number.isFinite(se)) zStar = (srB - srA - delta) / se;
    }
    if (Number.isNaN(zStar)) {
      degenerate++;
      atLeast++;
      atMost++;
    } else {
      if (zStar >= z) atLeast++;
      if (zStar <= z) atMost++;
    }
  }
  return { atLeast, atMost, degenerate };
}

/** E[x²] − μ², with rounding noise on a constant resample (all-zero blocks) clamped to exactly 0. */
function nonNegativeVariance(square: number, mean: number): number {
  const v = square - mean * mean;
  return v > 1e-12 * square ? v : 0;
}

/**
 * Σ of a, b, a², b² over the `len` bars starting at each s (wrapping past the end), via prefix sums,
 * interleaved as [Σa, Σb, Σa², Σb²] at 4·s so a resample reads one cache line per block.
 */
function circularBlockSums(a: ArrayLike<number>, b: ArrayLike<number>, len: number): Float64Array {
  const n = a.length;
  const prefix = new Float64Array(4 * (n + len + 1));
  for (let i = 0; i < n + len; i++) {
    const x = a[i % n]!;
    const y = b[i % n]!;
    const p = 4 * i;
    prefix[p + 4] = prefix[p]! + x;
    prefix[p + 5] = prefix[p + 1]! + y;
    prefix[p + 6] = prefix[p + 2]! + x * x;
    prefix[p + 7] = prefix[p + 3]! + y * y;
  }
  const out = new Float64Array(4 * n);
  for (let i = 0; i < 4 * n; i++) out[i] = prefix[i + 4 * len]! - prefix[i]!;
  return out;
}
