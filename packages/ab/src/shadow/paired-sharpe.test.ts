import { ConfigError, createRng, InputDataError } from "@mlq/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hacPairedSharpe, jobsonKorkieMemmel } from "./paired-sharpe.js";

// A known pair, computed independently in plain python3 (statistics.NormalDist), std with ddof = 1:
//   a = [.010, −.020, .015, .003, −.005, .020, −.010, .007, 0, .012]   mean .0032  sd .0122456341
//   b = [.012, −.015, .010, .006, −.002, .018, −.012, .010, .004, .009] mean .0040  sd .0106144556
//   ρ = .964245426, SR_a = .261317622, SR_b = .376844576
//   θ = (2 − 2ρ + ½(SR_a² + SR_b² − 2·SR_a·SR_b·ρ²))/10 = .00850984400, z = .115526953/√θ = 1.25234077
//   pBetter = 1 − Φ(z) = .105222859, pWorse = .894777141
// HAC, written in python the long way (4×4 autocovariance matrices Γ(j) of y_t = (a−μa, b−μb, a²−E a², b²−E b²),
// Ψ = Γ0 + Σ_{j<S} k(j/S)(Γj + Γj′), se = √(∇′Ψ∇/T), ∇ = (−E a²/σa³, E b²/σb³, ½μa/σa³, −½μb/σb³) on biased moments):
//   Bartlett S = 3: se .0629944747, z 1.83392201, pBetter .0333327863
//   Parzen   S = 4: se .0691055224, z 1.67174705, pBetter .0472871058
const A = [0.01, -0.02, 0.015, 0.003, -0.005, 0.02, -0.01, 0.007, 0.0, 0.012];
const B = [0.012, -0.015, 0.01, 0.006, -0.002, 0.018, -0.012, 0.01, 0.004, 0.009];

describe("jobsonKorkieMemmel", () => {
  it("matches the hand-computed pair", () => {
    const r = jobsonKorkieMemmel(A, B);
    expect(r.status).toBe("ok");
    expect(r.bars).toBe(10);
    expect(r.sharpeA).toBeCloseTo(0.2613176224868303, 12);
    expect(r.sharpeB).toBeCloseTo(0.3768445758127965, 12);
    expect(r.correlation).toBeCloseTo(0.9642454258599019, 12);
    expect(r.standardError).toBeCloseTo(Math.sqrt(0.008509843997870768), 12);
    expect(r.z).toBeCloseTo(1.2523407747900248, 10);
    expect(r.pBetter).toBeCloseTo(0.10522285855715907, 6);
    expect(r.pWorse).toBeCloseTo(0.8947771414428409, 6);
  });

  it("has θ = (SR_a − SR_b)²/(2T) when b = a + constant (ρ = 1)", () => {
    const b = A.map((x) => x + 0.004);
    const r = jobsonKorkieMemmel(A, b);
    expect(r.correlation).toBeCloseTo(1, 12);
    expect(r.standardError).toBeCloseTo(Math.abs(r.difference!) / Math.sqrt(2 * 10), 9);
  });
});

describe("hacPairedSharpe", () => {
  it.each([
    ["bartlett", 3, 0.06299447466886057, 1.8339220055925551, 0.033332786263783776],
    ["parzen", 4, 0.0691055223764436, 1.6717470522348086, 0.047287105800396745],
  ] as const)("matches the matrix-form computation with the %s kernel, bandwidth %i", (kernel, bandwidth, se, z, p) => {
    const r = hacPairedSharpe(A, B, { horizonBars: 2, kernel, bandwidth });
    expect(r.method).toBe("hac");
    expect(r.standardError).toBeCloseTo(se, 12);
    expect(r.z).toBeCloseTo(z, 10);
    expect(r.pBetter).toBeCloseTo(p, 6);
  });

  it("defaults to the Parzen kernel with bandwidth 2·H", () => {
    expect(hacPairedSharpe(A, B, { horizonBars: 2 })).toEqual(hacPairedSharpe(A, B, { horizonBars: 2, kernel: "parzen", bandwidth: 4 }));
  });

  it("agrees with Jobson–Korkie–Memmel on long i.i.d. normal pairs (the delta method's variance under normality is θ)", () => {
    const rng = createRng(11, "hac-vs-jkm");
    const n = 20_000;
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      const c = rng.normal();
      a[t] = 0.02 + 0.8 * c + 0.6 * rng.normal();
      b[t] = 0.05 + 0.8 * c + 0.6 * rng.normal();
    }
    const jkm = jobsonKorkieMemmel(a, b);
    const hac = hacPairedSharpe(a, b, { horizonBars: 1 });
    expect(hac.standardError! / jkm.standardError!).toBeGreaterThan(0.95);
    expect(hac.standardError! / jkm.standardError!).toBeLessThan(1.05);
  });

  it("rejects a bandwidth shorter than the horizon", () => {
    expect(() => hacPairedSharpe(A, B, { horizonBars: 5, bandwidth: 4 })).toThrow(ConfigError);
    expect(() => hacPairedSharpe(A, B, { horizonBars: 0 })).toThrow(ConfigError);
  });
});

describe.each([
  ["jobsonKorkieMemmel", (a: ArrayLike<number>, b: ArrayLike<number>) => jobsonKorkieMemmel(a, b)],
  ["hacPairedSharpe", (a: ArrayLike<number>, b: ArrayLike<number>) => hacPairedSharpe(a, b, { horizonBars: 3 })],
])("%s (shared behaviour)", (_name, test) => {
  it("reports identical series as no difference: z 0, both p = 1, no NaN", () => {
    const r = test(A, [...A]);
    expect(r).toMatchObject({ status: "identical", difference: 0, z: 0, pBetter: 1, pWorse: 1 });
    expect(r.sharpeA).toBe(r.sharpeB);
  });

  it("reports two all-zero series (neither version trades) as identical", () => {
    expect(test([0, 0, 0, 0], [0, 0, 0, 0])).toMatchObject({ status: "identical", difference: null, sharpeA: null, pBetter: 1, pWorse: 1 });
  });

  it("reports a challenger that never trades as degenerate with both p = 1", () => {
    const r = test(
      A,
      A.map(() => 0),
    );
    expect(r).toMatchObject({ status: "degenerate", sharpeB: null, z: 0, pBetter: 1, pWorse: 1 });
    expect(r.reason).toMatch(/challenger series \(b\) has zero variance/);
  });

  it("is antisymmetric: swapping champion and challenger negates z and swaps the one-sided p-values", () => {
    const ab = test(A, B);
    const ba = test(B, A);
    expect(ba.z).toBeCloseTo(-ab.z, 12);
    expect(ba.pBetter).toBeCloseTo(ab.pWorse, 12);
    expect(ba.pWorse).toBeCloseTo(ab.pBetter, 12);
  });

  it("is invariant to scaling either series by a positive factor", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 100, noNaN: true }), fc.double({ min: 0.01, max: 100, noNaN: true }), (ka, kb) => {
        const base = test(A, B);
        const scaled = test(
          A.map((x) => x * ka),
          B.map((x) => x * kb),
        );
        expect(scaled.z).toBeCloseTo(base.z, 8);
        expect(scaled.difference).toBeCloseTo(base.difference!, 10);
      }),
    );
  });

  it.each([
    ["series of different lengths", A, B.slice(1), /differ in length \(champion 10 bars, challenger 9\)/],
    ["a NaN return", A, B.map((x, i) => (i === 3 ? Number.NaN : x)), /challenger return at bar #3 is NaN/],
    ["an infinite return", A.map((x, i) => (i === 0 ? Infinity : x)), B, /champion return at bar #0 is Infinity/],
  ])("rejects %s with an InputDataError", (_n, a, b, message) => {
    expect(() => test(a, b)).toThrow(InputDataError);
    expect(() => test(a, b)).toThrow(message);
  });
});
