// Log returns over k bars (bars, not minutes: candles exist only where ticks exist).

/** `out[t] = ln(C_t / C_{t−k})` for t ≥ k; NaN before that. */
export function logReturns(close: Float64Array, k: number): Float64Array {
  const n = close.length;
  const out = new Float64Array(n).fill(Number.NaN);
  for (let t = k; t < n; t++) out[t] = Math.log(close[t]! / close[t - k]!);
  return out;
}
