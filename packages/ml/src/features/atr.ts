/**
 * ATR / close. True range TR_0 = H−L, then max(H−L, |H−C_{t−1}|, |L−C_{t−1}|); Wilder smoothing
 * seeded with the mean of the first `period` TRs, so the first value is at t = period − 1.
 */
export function atrOverClose(high: Float64Array, low: Float64Array, close: Float64Array, period = 14): Float64Array {
  const n = close.length;
  const out = new Float64Array(n).fill(Number.NaN);
  if (n < period) return out;
  let atr = 0;
  for (let t = 0; t < period; t++) atr += trueRange(high, low, close, t);
  atr /= period;
  out[period - 1] = atr / close[period - 1]!;
  for (let t = period; t < n; t++) {
    atr = (atr * (period - 1) + trueRange(high, low, close, t)) / period;
    out[t] = atr / close[t]!;
  }
  return out;
}

function trueRange(high: Float64Array, low: Float64Array, close: Float64Array, t: number): number {
  const h = high[t]!;
  const l = low[t]!;
  if (t === 0) return h - l;
  const prev = close[t - 1]!;
  return Math.max(h - l, Math.abs(h - prev), Math.abs(l - prev));
}
