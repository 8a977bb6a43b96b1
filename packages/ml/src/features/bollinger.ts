import { rollingMoments } from "./rolling-std.js";

/**
 * Bollinger %B: (C − (SMA − kσ)) / (2kσ) over the trailing `window` closes, σ with ddof 0.
 * Valid from t = window − 1; NaN on a flat window (zero band width).
 */
export function bollingerPctB(close: Float64Array, window = 20, k = 2): Float64Array {
  const n = close.length;
  const out = new Float64Array(n).fill(Number.NaN);
  const { mean, std } = rollingMoments(close, window, 0);
  for (let t = window - 1; t < n; t++) {
    const sigma = std[t]!;
    out[t] = sigma === 0 ? Number.NaN : (close[t]! - mean[t]! + k * sigma) / (2 * k * sigma);
  }
  return out;
}
