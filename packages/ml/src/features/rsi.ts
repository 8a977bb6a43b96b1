/**
 * RSI with Wilder smoothing seeded by the simple mean of the first `period` changes:
 * 100·G/(G+L). Valid from t = period; NaN when the window has no movement at all (G+L = 0).
 */
export function rsi(close: Float64Array, period = 14): Float64Array {
  const n = close.length;
  const out = new Float64Array(n).fill(Number.NaN);
  if (n <= period) return out;
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= period; i++) {
    const d = close[i]! - close[i - 1]!;
    if (d > 0) gain += d;
    else loss -= d;
  }
  gain /= period;
  loss /= period;
  out[period] = rsiOf(gain, loss);
  for (let t = period + 1; t < n; t++) {
    const d = close[t]! - close[t - 1]!;
    gain = (gain * (period - 1) + (d > 0 ? d : 0)) / period;
    loss = (loss * (period - 1) + (d < 0 ? -d : 0)) / period;
    out[t] = rsiOf(gain, loss);
  }
  return out;
}

function rsiOf(gain: number, loss: number): number {
  const total = gain + loss;
  return total === 0 ? Number.NaN : (100 * gain) / total;
}
