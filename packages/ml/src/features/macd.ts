/**
 * MACD histogram divided by close (scale-free across symbols). EMAs use α = 2/(span+1) and are
 * seeded at the first close; the signal EMA is seeded at the first MACD value (0). Defined from t = 0:
 * the early values are biased, but longer warm-ups elsewhere (vol ratio, 100 bars) drop those rows.
 */
export function macdHistOverClose(close: Float64Array, fast = 12, slow = 26, signal = 9): Float64Array {
  const n = close.length;
  const out = new Float64Array(n).fill(Number.NaN);
  if (n === 0) return out;
  const aFast = 2 / (fast + 1);
  const aSlow = 2 / (slow + 1);
  const aSignal = 2 / (signal + 1);
  let emaFast = close[0]!;
  let emaSlow = close[0]!;
  let sig = 0;
  out[0] = 0;
  for (let t = 1; t < n; t++) {
    const c = close[t]!;
    emaFast += aFast * (c - emaFast);
    emaSlow += aSlow * (c - emaSlow);
    const macd = emaFast - emaSlow;
    sig += aSignal * (macd - sig);
    out[t] = (macd - sig) / c;
  }
  return out;
}
