/**
 * Standard deviation of each trailing window `xs[t−window+1..t]` for t ≥ firstValid + window − 1
 * (NaN elsewhere). Deviations are taken from the window's first value before the mean, so a
 * flat window gives exactly 0 rather than rounding noise that would pass as a real value.
 */
export function rollingStd(xs: Float64Array, window: number, ddof: number, firstValid = 0): Float64Array {
  const n = xs.length;
  const out = new Float64Array(n).fill(Number.NaN);
  if (window - ddof <= 0) return out;
  for (let t = firstValid + window - 1; t < n; t++) {
    const start = t - window + 1;
    const anchor = xs[start]!;
    let sum = 0;
    for (let i = start; i <= t; i++) sum += xs[i]! - anchor;
    const m = sum / window;
    let ss = 0;
    for (let i = start; i <= t; i++) {
      const d = xs[i]! - anchor - m;
      ss += d * d;
    }
    out[t] = Math.sqrt(ss / (window - ddof));
  }
  return out;
}
