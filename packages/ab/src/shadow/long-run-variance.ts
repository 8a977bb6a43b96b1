// Kernel (HAC) estimate of a series' long-run variance, Σ_j k(j/S)·γ(j): the variance of √T × its mean
// when the observations are autocorrelated, as per-bar returns of positions held H bars are.
import { ConfigError } from "@mlq/core";

/** Both kernels have a non-negative spectral window, so the estimate is never negative. */
export type HacKernel = "bartlett" | "parzen";

/** k(x): Bartlett 1 − |x|; Parzen 1 − 6x² + 6|x|³ (|x| ≤ ½), 2(1 − |x|)³ (½ < |x| ≤ 1); 0 beyond 1. */
export function kernelWeight(kernel: HacKernel, x: number): number {
  const ax = Math.abs(x);
  if (ax >= 1) return 0;
  if (kernel === "bartlett") return 1 - ax;
  return ax <= 0.5 ? 1 - 6 * ax * ax + 6 * ax * ax * ax : 2 * (1 - ax) ** 3;
}

/**
 * γ(0) + 2·Σ_{j=1}^{S−1} k(j/S)·γ(j), γ(j) = (1/T)·Σ_{t≥j} (u_t − ū)(u_{t−j} − ū): lags j < S (the
 * bandwidth) carry weight. Bartlett with bandwidth S is Newey–West with S − 1 lags. O(T·S).
 */
export function longRunVariance(u: ArrayLike<number>, kernel: HacKernel, bandwidth: number): number {
  if (!(Number.isInteger(bandwidth) && bandwidth >= 1)) throw new ConfigError(`HAC bandwidth ${bandwidth} is not a whole number ≥ 1`);
  const n = u.length;
  if (n === 0) return Number.NaN;
  let mean = 0;
  for (let t = 0; t < n; t++) mean += u[t]!;
  mean /= n;
  const d = new Float64Array(n);
  for (let t = 0; t < n; t++) d[t] = u[t]! - mean;
  let total = 0;
  for (let t = 0; t < n; t++) total += d[t]! * d[t]!;
  const maxLag = Math.min(bandwidth - 1, n - 1);
  for (let j = 1; j <= maxLag; j++) {
    const w = kernelWeight(kernel, j / bandwidth);
    if (w === 0) continue;
    let g = 0;
    for (let t = j; t < n; t++) g += d[t]! * d[t - j]!;
    total += 2 * w * g;
  }
  return Math.max(0, total / n);
}
