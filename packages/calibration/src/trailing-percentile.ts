// Percentiles of a growing prefix of a sequence known up front: a Fenwick tree of counts over the
// sequence's sorted distinct values. Each step adds O(log n) and each percentile costs O(log n),
// so ranking every element among the ones before it is O(n log n), not an O(n²) re-sort.

export class TrailingPercentile {
  private readonly sequence: Float64Array;
  /** Rank of each sequence element among the distinct finite values; -1 for non-finite ones. */
  private readonly rankOf: Int32Array;
  private readonly domain: Float64Array;
  private readonly tree: Int32Array;
  private readonly topStep: number;
  private next = 0;
  private count = 0;

  /** `sequence`: the values in the order `addNext` will add them (non-finite ones are skipped). */
  constructor(sequence: ArrayLike<number>) {
    this.sequence = Float64Array.from(sequence);
    const order = sortedFiniteIndices(this.sequence);
    this.rankOf = new Int32Array(this.sequence.length).fill(-1);
    const domain = new Float64Array(order.length);
    let u = 0;
    for (let j = 0; j < order.length; j++) {
      const v = this.sequence[order[j]!]!;
      if (u === 0 || v !== domain[u - 1]) domain[u++] = v;
      this.rankOf[order[j]!] = u - 1;
    }
    this.domain = domain.subarray(0, u);
    this.tree = new Int32Array(u + 1);
    let step = 1;
    while (step * 2 <= u) step *= 2;
    this.topStep = step;
  }

  /** Values added so far (non-finite elements are passed over, not counted). */
  get size(): number {
    return this.count;
  }

  /** Sequence elements consumed so far. */
  get position(): number {
    return this.next;
  }

  /** Adds the next element of the sequence (a no-op past its end or for a non-finite element). */
  addNext(): void {
    if (this.next >= this.rankOf.length) return;
    const rank = this.rankOf[this.next++]!;
    if (rank < 0) return;
    for (let i = rank + 1; i < this.tree.length; i += i & -i) this.tree[i]!++;
    this.count++;
  }

  /** The k-th smallest added value (0-based, k < size). */
  kth(k: number): number {
    let pos = 0;
    let remaining = k + 1;
    for (let step = this.topStep; step > 0; step >>= 1) {
      const next = pos + step;
      if (next < this.tree.length && this.tree[next]! < remaining) {
        pos = next;
        remaining -= this.tree[next]!;
      }
    }
    return this.domain[pos]!;
  }

  /** Percentile of the added values with linear interpolation, exactly as @mlq/core's `percentile`; NaN when empty. */
  percentile(p: number): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const rank = (p / 100) * (n - 1);
    const lo = Math.floor(rank);
    const hi = Math.ceil(rank);
    const a = this.kth(lo);
    const b = hi === lo ? a : this.kth(hi);
    return a + (b - a) * (rank - lo);
  }
}

/**
 * Indices of the finite elements in ascending value order: an LSD radix sort (four 16-bit
 * digits) of the doubles' bit patterns, mapped so unsigned order is numeric order. A comparator
 * sort of 86k indices, or a value sort plus a binary search per element, costs several times more.
 */
function sortedFiniteIndices(values: Float64Array): Uint32Array {
  const n = values.length;
  const bits = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  let m = 0;
  let idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) if (Number.isFinite(values[i]!)) idx[m++] = i;
  idx = idx.subarray(0, m);
  // Keys (little-endian: low word first): negatives flip every bit, non-negatives the sign bit.
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  for (let j = 0; j < m; j++) {
    const i = idx[j]!;
    const l = bits[2 * i]!;
    const h = bits[2 * i + 1]!;
    const negative = h >>> 31 === 1;
    lo[i] = negative ? ~l >>> 0 : l;
    hi[i] = negative ? ~h >>> 0 : (h | 0x80000000) >>> 0;
  }
  const counts = new Uint32Array(65_536);
  let out = new Uint32Array(m);
  for (let pass = 0; pass < 4; pass++) {
    const key = pass < 2 ? lo : hi;
    const shift = (pass % 2) * 16;
    counts.fill(0);
    for (let j = 0; j < m; j++) counts[(key[idx[j]!]! >>> shift) & 0xffff]!++;
    let sum = 0;
    for (let d = 0; d < 65_536; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let j = 0; j < m; j++) {
      const i = idx[j]!;
      out[counts[(key[i]! >>> shift) & 0xffff]!++] = i;
    }
    [idx, out] = [out, idx];
  }
  return idx;
}
