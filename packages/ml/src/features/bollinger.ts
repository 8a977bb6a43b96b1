/**
 * Bollinger %B: (C − (SMA − kσ)) / (2kσ) over the trailing `window` closes, σ with ddof 0.
 * Valid from t = window − 1; NaN on a flat window (zero band width).
 */
export function bollingerPctB(close: Float64Array, window = 20, k = 2): Float64Array {
  const n = close.length;
  const out = new Float64Array(n).fill(Number.NaN);
  for (let t = window - 1; t < n; t++) {
    const start = t - window + 1;
    // Centered on the window's first close so a flat window yields σ = 0 exactly.
    const anchor = close[start]!;
    let sum = 0;
    for (let i = start; i <= t; i++) sum += close[i]! - anchor;
    const m = sum / window;
    let ss = 0;
    for (let i = start; i <= t; i++) {
      const d = close[i]! - anchor - m;
      ss += d * d;
    }
    const sigma = Math.sqrt(ss / window);
    const width = 2 * k * sigma;
    out[t] = width === 0 ? Number.NaN : (close[t]! - anchor - m + k * sigma) / width;
  }
  return out;
}
