// O(1)-per-bar rolling mean and standard deviation. Sums are kept relative to an anchor near the
// window and rebuilt exactly every `window` bars, so rounding cannot accumulate over long series;
// a count of value changes inside the window makes a flat window give σ = 0 exactly, not noise.

export interface RollingMoments {
  mean: Float64Array;
  std: Float64Array;
}

/**
 * Mean and std (`ddof` delta degrees of freedom) of each trailing window `xs[t−window+1..t]`,
 * defined for t ≥ firstValid + window − 1 (NaN elsewhere).
 */
export function rollingMoments(xs: Float64Array, window: number, ddof: number, firstValid = 0): RollingMoments {
  const n = xs.length;
  const mean = new Float64Array(n).fill(Number.NaN);
  const std = new Float64Array(n).fill(Number.NaN);
  const first = firstValid + window - 1;
  if (first >= n || window < 1) return { mean, std };
  let anchor = 0;
  let sum = 0;
  let sumSq = 0;
  let changes = 0;
  for (let t = first; t < n; t++) {
    const start = t - window + 1;
    if ((t - first) % window === 0) {
      anchor = xs[start]!;
      sum = 0;
      sumSq = 0;
      changes = 0;
      for (let i = start; i <= t; i++) {
        const d = xs[i]! - anchor;
        sum += d;
        sumSq += d * d;
        if (i > start && xs[i] !== xs[i - 1]) changes++;
      }
    } else {
      const out = xs[start - 1]! - anchor;
      const inn = xs[t]! - anchor;
      sum += inn - out;
      sumSq += inn * inn - out * out;
      if (xs[start] !== xs[start - 1]) changes--;
      if (xs[t] !== xs[t - 1]) changes++;
    }
    const m = sum / window;
    mean[t] = anchor + m;
    if (window - ddof <= 0) continue;
    std[t] = changes === 0 ? 0 : Math.sqrt(Math.max(0, sumSq - sum * m) / (window - ddof));
  }
  return { mean, std };
}

/** Rolling standard deviation; see `rollingMoments`. */
export function rollingStd(xs: Float64Array, window: number, ddof: number, firstValid = 0): Float64Array {
  return rollingMoments(xs, window, ddof, firstValid).std;
}
