import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { centralMoments, kurtosis, minTrackRecordLength, probBBetter, psr, sharpeVariance, sharpeVarianceFactor, skewness, type SharpeEstimate } from "./sharpe-stats.js";

// Arm A = [-1, 0, 1, 4]: n 4, mean 1, deviations -2 -1 0 3.
//   Σd² 14 → sample std √(14/3) = 2.160247, SR = 1/2.160247 = 0.462910
//   m2 = 14/4 = 3.5, m3 = (-8 - 1 + 0 + 27)/4 = 4.5, m4 = (16 + 1 + 0 + 81)/4 = 24.5
//   g1 = 4.5 / 3.5^1.5 = 0.687243; G1 = √(4·3)/2 · g1 = 1.190340
//   γ4 = m4/m2² = 24.5/12.25 = 2 exactly
//   factor = 1 − 1.190340·0.462910 + (2 − 1)/4 · 0.462910² = 1 − 0.551020 + 0.053571 = 0.502551
//   V_A = 0.502551 / 3 = 0.167517
// Arm B = [2, -1, 3, 0, 1]: n 5, mean 1, deviations 1 -2 2 -1 0.
//   Σd² 10 → std √2.5 = 1.581139, SR = 0.632456; Σd³ = 0 → G1 = 0
//   m2 = 2, m4 = 34/5 = 6.8, γ4 = 6.8/4 = 1.7
//   factor = 1 − 0 + 0.7/4 · 0.4 = 1.07; V_B = 1.07/4 = 0.2675
// P(B better) = Φ((0.632456 − 0.462910)/√(0.167517 + 0.2675)) = Φ(0.169545/0.659558) = Φ(0.257059) = 0.601433
// PSR_B = Φ(0.632456/√0.2675) = Φ(1.222836) = 0.889304
// MinTRL_B = 1 + 1.07·(1.644854/0.632456)² = 1 + 1.07·6.763859 = 8.237329
const A_RETURNS = [-1, 0, 1, 4];
const B_RETURNS = [2, -1, 3, 0, 1];
const A: SharpeEstimate = { trades: 4, sharpe: 1 / Math.sqrt(14 / 3), skewness: 1.1903401282789947, kurtosis: 2 };
const B: SharpeEstimate = { trades: 5, sharpe: 1 / Math.sqrt(2.5), skewness: 0, kurtosis: 1.7 };

describe("skewness (adjusted Fisher–Pearson G1)", () => {
  it.each([
    ["arm A", A_RETURNS, 1.1903401282789947],
    ["arm B (symmetric)", B_RETURNS, 0],
    // [0, 0, 3]: mean 1, d = -1 -1 2, m2 = 2, m3 = 2, g1 = 2/2^1.5 = 0.707107, G1 = √6/1 · g1 = 1.732051
    ["[0, 0, 3]", [0, 0, 3], Math.sqrt(3)],
  ])("%s", (_name, xs, expected) => {
    expect(skewness(xs)).toBeCloseTo(expected, 9);
  });

  it.each([
    ["fewer than 3 values", [1, 2]],
    ["zero variance", [0.5, 0.5, 0.5, 0.5]],
  ])("is null for %s", (_name, xs) => {
    expect(skewness(xs)).toBeNull();
  });
});

describe("kurtosis (raw m4/m2²)", () => {
  it.each([
    ["arm A", A_RETURNS, 2],
    ["arm B", B_RETURNS, 1.7],
    // Two points: m4/m2² is always 1.
    ["two values", [-3, 5], 1],
    // [0, 0, 0, 4]: mean 1, d = -1 -1 -1 3, m2 = 12/4 = 3, m4 = (1+1+1+81)/4 = 21, 21/9
    ["[0, 0, 0, 4]", [0, 0, 0, 4], 21 / 9],
  ])("%s", (_name, xs, expected) => {
    expect(kurtosis(xs)).toBeCloseTo(expected, 12);
  });

  it("is null for zero variance", () => {
    expect(kurtosis([2, 2, 2])).toBeNull();
  });

  it("is at least 1 + g1² for any sample, g1 = m3/m2^1.5 the biased skewness (Pearson's inequality)", () => {
    let sharp = 0;
    fc.assert(
      fc.property(fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 3, maxLength: 40 }), (xs) => {
        const k = kurtosis(xs);
        if (k === null) return;
        const { m2, m3 } = centralMoments(xs);
        const g1 = m3 / Math.pow(m2, 1.5);
        expect(k).toBeGreaterThanOrEqual((1 + g1 * g1) * (1 - 1e-9));
        if (g1 * g1 > 0.01) sharp++; // the bound says more than "≥ 1" here
      }),
      { numRuns: 200, seed: 13 },
    );
    expect(sharp).toBeGreaterThan(50);
  });

  it.each([
    // Any two-valued sample attains the bound: [0, 0, 1] has m2 = 2/9, m3 = 2/27, g1² = 1/2, b2 = 3/2.
    ["[0, 0, 1]", [0, 0, 1], 1.5],
    ["[0, 0, 0, 4] (1 + g1² = 1 + 4/3)", [0, 0, 0, 4], 7 / 3],
  ])("meets 1 + g1² with equality on two-valued samples: %s", (_name, xs, bound) => {
    const { m2, m3 } = centralMoments(xs);
    expect(1 + (m3 * m3) / (m2 * m2 * m2)).toBeCloseTo(bound, 12);
    expect(kurtosis(xs)).toBeCloseTo(bound, 12);
  });
});

describe("sharpeVariance", () => {
  it.each([
    ["A", A, 0.5025510204081634, 0.1675170068027211],
    ["B", B, 1.07, 0.2675],
  ])("arm %s: factor and V = factor/(n−1)", (_n, est, factor, v) => {
    expect(sharpeVarianceFactor(est)).toBeCloseTo(factor, 12);
    expect(sharpeVariance(est)).toBeCloseTo(v, 12);
  });

  it("is (1 + SR²/2)/(n−1) for normal returns (γ3 0, γ4 3)", () => {
    expect(sharpeVariance({ trades: 101, sharpe: 0.2, skewness: 0, kurtosis: 3 })).toBeCloseTo(1.02 / 100, 14);
  });

  it("is null when the non-normality factor is not positive (tiny extreme samples)", () => {
    // 1 − 3·1 + (1 − 1)/4 · 1 = −2
    expect(sharpeVariance({ trades: 10, sharpe: 1, skewness: 3, kurtosis: 1 })).toBeNull();
  });
});

describe("probBBetter", () => {
  it("matches the hand-computed value for the tiny arms", () => {
    expect(probBBetter(A, B)).toBeCloseTo(0.6014334525245943, 6);
  });

  it("is 0.5 for identical arms and complementary when the arms swap", () => {
    expect(probBBetter(B, B)).toBeCloseTo(0.5, 6);
    fc.assert(
      fc.property(estimateArb(), estimateArb(), (x, y) => {
        const p = probBBetter(x, y);
        const q = probBBetter(y, x);
        if (p === null || q === null) return;
        expect(p + q).toBeCloseTo(1, 6);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
      }),
    );
  });

  it("is null when either Sharpe is undefined", () => {
    expect(probBBetter({ ...A, sharpe: null }, B)).toBeNull();
    expect(probBBetter(A, { ...B, kurtosis: null })).toBeNull();
  });

  it("agrees with a seeded bootstrap of the Sharpe difference on skewed, fat-tailed arms", () => {
    const rand = mulberry32(20261105);
    // A: plain noise around a small edge; B: right-skewed (a few large winners), better edge.
    const a = Array.from({ length: 400 }, () => 0.02 + gaussian(rand));
    const b = Array.from({ length: 300 }, () => (rand() < 0.1 ? 2.5 : -0.15) + 0.6 * gaussian(rand));
    const analytic = probBBetter(estimate(a), estimate(b));
    const boot = bootstrapProbBBetter(a, b, 2000, rand);
    expect(analytic).not.toBeNull();
    // Both near the middle of (0, 1), where disagreement would be visible.
    expect(analytic!).toBeGreaterThan(0.55);
    expect(analytic!).toBeLessThan(0.98);
    expect(Math.abs(analytic! - boot)).toBeLessThan(0.04);
  });
});

describe("psr", () => {
  it("matches the hand-computed value for arm B", () => {
    expect(psr(B)).toBeCloseTo(0.8893041171218268, 6);
  });

  it("measures the excess over a non-zero benchmark (V still uses the observed SR)", () => {
    // Φ((0.632456 − 0.1)/√0.2675) = Φ(1.029489) = 0.848375
    expect(psr(B, 0.1)).toBeCloseTo(0.8483748820718668, 6);
    expect(psr({ ...B, sharpe: 0 })).toBeCloseTo(0.5, 6);
  });

  it("grows with the track record for a positive Sharpe", () => {
    const short = psr({ trades: 50, sharpe: 0.1, skewness: 0, kurtosis: 3 })!;
    const long = psr({ trades: 500, sharpe: 0.1, skewness: 0, kurtosis: 3 })!;
    expect(long).toBeGreaterThan(short);
  });
});

// Bailey & López de Prado: MinTRL = 1 + (1 − γ3·SR + (γ4 − 1)/4·SR²)·(z_α/(SR − SR*))², with the
// published z_0.95 = 1.6448536269514722 and z_0.99 = 2.3263478740408408 (not normalQuantile), the
// factor from the moments by hand (not sharpeVarianceFactor), to 16 digits with decimal arithmetic.
describe("minTrackRecordLength", () => {
  it.each([
    // arm A: 1 − 1.1903401282789947·0.4629100498862757 + 0.25·0.2142857142857143 = 0.5025510204081634;
    //   (1.6448536269514722/0.4629100498862757)² = 12.62586945244526 → 1 + 6.345143576866624
    ["arm A", A, {}, 7.345143576866624],
    // arm B: factor 1 − 0 + 0.7/4·0.4 = 1.07; (1.6448536269514722/0.6324555320336759)² = 6.763858635238532 → 8.23732873970523
    ["arm B", B, {}, 8.23732873970523],
    // normal returns, SR 0.1: factor 1 + 0.5·0.01 = 1.005; (16.448536269514722)² = 270.5543454095413 → 272.9071171365890
    ["normal SR 0.1", { trades: 10, sharpe: 0.1, skewness: 0, kurtosis: 3 }, {}, 272.907117136589],
    // SR 0.3, γ3 −0.5, γ4 6 against SR* 0.1: factor 1 + 0.15 + 1.25·0.09 = 1.2625;
    //   (1.6448536269514722/0.2)² = 67.63858635238532 → 1 + 85.39371526988647 = 86.39371526988647
    ["negative skew, fat tails, benchmark 0.1", { trades: 0, sharpe: 0.3, skewness: -0.5, kurtosis: 6 }, { benchmarkSharpe: 0.1 }, 86.39371526988647],
    // SR 0.5, γ3 0.8, γ4 4 at 99 %: factor 1 − 0.4 + 0.75·0.25 = 0.7875;
    //   (2.3263478740408408/0.5)² = 21.64757772421736 → 1 + 17.04746745782117 = 18.04746745782117
    ["positive skew at 99 %", { trades: 0, sharpe: 0.5, skewness: 0.8, kurtosis: 4 }, { confidence: 0.99 }, 18.04746745782117],
  ])("%s: the hand-computed Bailey–López de Prado value", (_n, est, options, expected) => {
    // normalQuantile's relative error (< 1.15e-9) bounds the difference.
    expect(Math.abs(minTrackRecordLength(est, options)! - expected) / expected).toBeLessThan(5e-9);
  });

  it.each([
    ["zero Sharpe", 0],
    ["negative Sharpe", -0.2],
  ])("is undefined (null) for %s", (_n, sharpe) => {
    expect(minTrackRecordLength({ ...B, sharpe })).toBeNull();
  });

  it("is the track record at which PSR reaches 95 %", () => {
    const est = { trades: 0, sharpe: 0.12, skewness: -0.4, kurtosis: 5 };
    const n = minTrackRecordLength(est)!;
    expect(psr({ ...est, trades: n })).toBeCloseTo(0.95, 6);
  });
});

function estimateArb() {
  return fc.record({
    trades: fc.integer({ min: 2, max: 5000 }),
    sharpe: fc.double({ min: -1, max: 1, noNaN: true }),
    skewness: fc.double({ min: -3, max: 3, noNaN: true }),
    kurtosis: fc.double({ min: 1, max: 30, noNaN: true }),
  });
}

function estimate(xs: number[]): SharpeEstimate {
  const n = xs.length;
  const m = xs.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (n - 1));
  return { trades: n, sharpe: m / sd, skewness: skewness(xs), kurtosis: kurtosis(xs) };
}

function sharpeOf(xs: number[]): number {
  return estimate(xs).sharpe!;
}

function bootstrapProbBBetter(a: number[], b: number[], iterations: number, rand: () => number): number {
  let wins = 0;
  const ra = new Array<number>(a.length);
  const rb = new Array<number>(b.length);
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < a.length; i++) ra[i] = a[Math.floor(rand() * a.length)]!;
    for (let i = 0; i < b.length; i++) rb[i] = b[Math.floor(rand() * b.length)]!;
    if (sharpeOf(rb) > sharpeOf(ra)) wins++;
  }
  return wins / iterations;
}

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}
