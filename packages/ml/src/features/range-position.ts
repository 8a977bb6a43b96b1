/**
 * Position of the close in the trailing `window`-bar range: (C − min L) / (max H − min L).
 * Valid from t = window − 1; NaN when the range is zero.
 */
export function rangePosition(high: Float64Array, low: Float64Array, close: Float64Array, window = 20): Float64Array {
  const n = close.length;
  const out = new Float64Array(n).fill(Number.NaN);
  for (let t = window - 1; t < n; t++) {
    let hi = -Infinity;
    let lo = Infinity;
    for (let i = t - window + 1; i <= t; i++) {
      if (high[i]! > hi) hi = high[i]!;
      if (low[i]! < lo) lo = low[i]!;
    }
    const range = hi - lo;
    out[t] = range === 0 ? Number.NaN : (close[t]! - lo) / range;
  }
  return out;
}
