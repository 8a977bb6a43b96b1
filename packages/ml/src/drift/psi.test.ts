import { createRng, percentile } from "@mlq/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { binShares, decileEdges, psi } from "./psi.js";

// Known answers computed independently with numpy 2.4 (python3):
//   v = [0,0,0,1,2,3,4,5,6,7,8,9,10,10,20]; e = np.percentile(v, range(10, 100, 10))
//   w = [-1,0,0.5,3,3,7,9.4,15,25,100]
//   shares(x) = np.bincount(np.searchsorted(e, x, side="right"), minlength=10) / len(x)
//   psi(E, A, eps) = ((A - E) * log(A / E)).sum() with E = (E + eps) / sum, A = (A + eps) / sum
const V = [0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 20];
const W = [-1, 0, 0.5, 3, 3, 7, 9.4, 15, 25, 100];
const V_EDGES = [0, 0.8, 2.2, 3.6, 5, 6.4, 7.8, 9.2, 10];
const V_SHARES = [0, 3, 2, 1, 1, 2, 1, 2, 0, 3].map((c) => c / 15);
const W_SHARES = [0.1, 0.2, 0, 0.2, 0, 0, 0.1, 0, 0.1, 0.3];

function normals(seed: number, stream: string, n: number, shift = 0): number[] {
  const rng = createRng(seed, stream);
  return Array.from({ length: n }, () => rng.normal() + shift);
}

describe("decileEdges", () => {
  it("gives numpy's linear-interpolation deciles", () => {
    decileEdges(V).forEach((e, i) => expect(e).toBeCloseTo(V_EDGES[i]!, 12));
    // 1..10: rank p/100·9 → 1.9, 2.8, …, 9.1
    decileEdges([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).forEach((e, i) => expect(e).toBeCloseTo(1.9 + 0.9 * i, 12));
  });
  it("equals percentile() at each decile exactly (sorted once instead of nine times)", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 300 }), (xs) => {
        decileEdges(xs).forEach((e, i) => expect(Object.is(e, percentile(xs, (i + 1) * 10))).toBe(true));
      }),
      { numRuns: 200 },
    );
  });
  it("ignores NaN warm-up values and rejects an all-NaN series", () => {
    expect(decileEdges([Number.NaN, ...V, Number.NaN])).toEqual(decileEdges(V));
    expect(() => decileEdges([Number.NaN])).toThrow(/decileEdges: no finite values/);
  });
});

describe("binShares", () => {
  it("bins a value equal to an edge into the bin above it (searchsorted side=right)", () => {
    binShares(V, V_EDGES).forEach((s, i) => expect(s).toBeCloseTo(V_SHARES[i]!, 12));
    binShares(W, V_EDGES).forEach((s, i) => expect(s).toBeCloseTo(W_SHARES[i]!, 12));
  });
});

describe("psi", () => {
  it("matches hand-computed values, including the empty-bin smoothing", () => {
    expect(psi(V_SHARES, W_SHARES)).toBeCloseTo(4.889299568065662, 10);
    // two deciles take everything: eight empty bins cost ε-smoothed logs
    expect(psi(Array(10).fill(0.1), [0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0])).toBeCloseTo(6.807107429705418, 10);
    // by hand: A = (0.26, 0.76)/1.02; (A−E)·ln(A/E) summed = 0.16513 + 0.09777
    expect(psi([0.5, 0.5], [0.25, 0.75], { epsilon: 0.01 })).toBeCloseTo(0.2629011770256983, 10);
  });
  it("rejects mismatched share vectors and a non-positive epsilon", () => {
    expect(() => psi([0.5, 0.5], [1])).toThrow(/psi: 2 expected vs 1 actual/);
    expect(() => psi([1], [1], { epsilon: 0 })).toThrow(/epsilon 0/);
  });

  it("is 0 for identical samples and grows with a normal sample's mean shift (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 20, max: 400 }), (seed, n) => {
        const ref = normals(seed, "ref", n);
        const edges = decileEdges(ref);
        expect(psi(binShares(ref, edges), binShares(ref.slice(), edges))).toBe(0);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const ref = normals(seed, "ref", 2000);
        const edges = decileEdges(ref);
        const expected = binShares(ref, edges);
        const values = [0, 0.5, 1, 2].map((shift) => psi(expected, binShares(normals(seed, "cur", 1000, shift), edges)));
        for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
        expect(values[0]!).toBeLessThan(0.05);
      }),
      { numRuns: 40 },
    );
  });
});
