/**
 * Position of the close in the trailing `window`-bar range: (C − min L) / (max H − min L).
 * Valid from t = window − 1; NaN when the range is zero. Monotonic deques keep it O(n).
 */
export function rangePosition(high: Float64Array, low: Float64Array, close: Float64Array, window = 20): Float64Array {
  const n = close.length;
  const out = new Float64Array(n).fill(Number.NaN);
  const maxQ = new Int32Array(n);
  const minQ = new Int32Array(n);
  let maxHead = 0;
  let maxTail = 0;
  let minHead = 0;
  let minTail = 0;
  for (let t = 0; t < n; t++) {
    while (maxTail > maxHead && high[maxQ[maxTail - 1]!]! <= high[t]!) maxTail--;
    maxQ[maxTail++] = t;
    while (minTail > minHead && low[minQ[minTail - 1]!]! >= low[t]!) minTail--;
    minQ[minTail++] = t;
    const start = t - window + 1;
    if (maxQ[maxHead]! < start) maxHead++;
    if (minQ[minHead]! < start) minHead++;
    if (start < 0) continue;
    const hi = high[maxQ[maxHead]!]!;
    const lo = low[minQ[minHead]!]!;
    const range = hi - lo;
    out[t] = range === 0 ? Number.NaN : (close[t]! - lo) / range;
  }
  return out;
}
