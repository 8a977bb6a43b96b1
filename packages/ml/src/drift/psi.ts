import { InputDataError } from "@mlq/core";

/** Default empty-bin smoothing of {@link psi}: ε added to every share before renormalizing. */
export const PSI_EPSILON = 1e-4;

function finiteValues(values: ArrayLike<number>, what: string): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) out[n++] = v;
  }
  if (n === 0) throw new InputDataError(`${what}: no finite values (drift/psi.ts)`);
  return n === out.length ? out : out.slice(0, n);
}

/**
 * The 9 interior decile edges of `values` (10th, 20th, …, 90th percentile, numpy's default linear
 * interpolation via `percentile`). Non-finite values (indicator warm-up NaNs) are ignored; no finite
 * value at all is an `InputDataError`.
 */
export function decileEdges(values: ArrayLike<number>): number[] {
  // Sorted once, then `percentile`'s own interpolation at each decile (it would sort again per call).
  const xs = finiteValues(values, "decileEdges").sort();
  const n = xs.length;
  const edges: number[] = [];
  for (let d = 1; d <= 9; d++) {
    const rank = ((d * 10) / 100) * (n - 1);
    const lo = Math.floor(rank);
    const hi = Math.ceil(rank);
    edges.push(xs[lo]! + (xs[hi]! - xs[lo]!) * (rank - lo));
  }
  return edges;
}

/**
 * Share of the finite `values` in each of the `edges.length + 1` bins. A value's bin is the number of
 * edges ≤ it (numpy `searchsorted(edges, v, side="right")`): bin i is [edges[i−1], edges[i]), the
 * first bin is open below and the last open above. Non-finite values are ignored.
 */
export function binShares(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const xs = finiteValues(values, "binShares");
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of xs) counts[binIndex(v, edges)]!++;
  return counts.map((c) => c / xs.length);
}

/** The bin of one value: the number of edges ≤ it (numpy `searchsorted(edges, v, side="right")`). */
export function binIndex(v: number, edges: readonly number[]): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface PsiOptions {
  /** Empty-bin smoothing; default {@link PSI_EPSILON}. */
  epsilon?: number;
}

/**
 * Population Stability Index Σ (a − e)·ln(a / e) of `actualShares` against `expectedShares`.
 * Empty-bin smoothing: ε (default 1e-4) is added to every share of both vectors, which are then
 * renormalized to sum to 1 (s′ = (s + ε) / (Σs + kε), k bins), so an empty bin costs a finite
 * amount (an emptied decile of 0.1 contributes about 0.1·ln(0.1/1e-4) ≈ 0.69). Identical shares give
 * exactly 0; the value is never negative.
 */
export function psi(expectedShares: readonly number[], actualShares: readonly number[], options: PsiOptions = {}): number {
  const eps = options.epsilon ?? PSI_EPSILON;
  if (expectedShares.length !== actualShares.length || expectedShares.length === 0) {
    throw new InputDataError(`psi: ${expectedShares.length} expected vs ${actualShares.length} actual shares (drift/psi.ts)`);
  }
  if (!(eps > 0)) throw new InputDataError(`psi: epsilon ${eps} must be > 0 (drift/psi.ts)`);
  const k = expectedShares.length;
  const eSum = expectedShares.reduce((s, x) => s + x, 0) + k * eps;
  const aSum = actualShares.reduce((s, x) => s + x, 0) + k * eps;
  let total = 0;
  for (let i = 0; i < k; i++) {
    const e = (expectedShares[i]! + eps) / eSum;
    const a = (actualShares[i]! + eps) / aSum;
    total += (a - e) * Math.log(a / e);
  }
  return total;
}
