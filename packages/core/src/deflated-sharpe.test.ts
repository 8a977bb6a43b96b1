import { createRng } from "./random.js";
import { describe, expect, it } from "vitest";
import {
  averagePairwiseCorrelation,
  deflatedSharpeOfTrials,
  deflatedSharpeRatio,
  effectiveTrials,
  EULER_MASCHERONI,
  expectedMaxSharpe,
} from "./deflated-sharpe.js";
import { psr } from "./sharpe-stats.js";

// Bailey & López de Prado (2014), "A numerical example": N = 100 independent trials, the best has an
// annualized SR of 2.5 over T = 1250 daily observations (5 years), V[SR_n] = 1/2 annualized, skewness −3,
// kurtosis 10. In daily units: SR = 2.5/√250 = 0.158114, V = 0.5/250 = 0.002. The paper prints
// SR0 ≈ 0.1132 (1.7894 annualized) and DSR ≈ 0.9004. Recomputed in plain python3 (statistics.NormalDist):
//   SR0 = √0.002·(0.4227843·Φ⁻¹(0.99) + 0.5772157·Φ⁻¹(1 − 1/(100e))) = 0.113172002
//   DSR = Φ((0.158114 − 0.113172)·√1249 / √(1 + 3·0.158114 + 9/4·0.158114²)) = Φ(1.28389) = 0.900396834
const PAPER = { sharpe: 2.5 / Math.sqrt(250), observations: 1250, skewness: -3, kurtosis: 10, trials: 100, sharpeVariance: 0.5 / 250 };

describe("deflatedSharpeRatio", () => {
  it("reproduces the paper's numerical example (SR0 0.1132, DSR 0.9004)", () => {
    const r = deflatedSharpeRatio(PAPER);
    expect(r.expectedMaxSharpe).toBeCloseTo(0.11317200186513214, 8);
    expect(r.expectedMaxSharpe * Math.sqrt(250)).toBeCloseTo(1.7894, 4);
    expect(r.dsr).toBeCloseTo(0.9003968344493904, 6);
  });

  it("is the PSR against SR0 (sharpe-stats' psr), so one trial gives PSR(0)", () => {
    const one = deflatedSharpeRatio({ ...PAPER, trials: 1 });
    expect(one.expectedMaxSharpe).toBe(0);
    expect(one.dsr).toBe(psr({ trades: 1250, sharpe: PAPER.sharpe, skewness: -3, kurtosis: 10 }, 0));
  });

  it("falls as more trials are counted", () => {
    const dsrs = [1, 2, 10, 100, 1000].map((trials) => deflatedSharpeRatio({ ...PAPER, trials }).dsr!);
    for (let i = 1; i < dsrs.length; i++) expect(dsrs[i]).toBeLessThan(dsrs[i - 1]!);
  });
});

describe("expectedMaxSharpe", () => {
  // Exact E[max of N i.i.d. N(0,1)] = ∫ x·N·φ(x)·Φ(x)^{N−1} dx, by numerical integration in python3:
  //   N = 10: 1.538753, N = 100: 2.507594, N = 1000: 3.241436 (the approximation: 1.574598, 2.530603, 3.255122)
  it.each([
    [10, 1.538753, 1.574598],
    [100, 2.507594, 2.530603],
    [1000, 3.241436, 3.255122],
  ])("approximates the expected maximum of %i standard normal trials (exact %f) by %f", (n, exact, approx) => {
    const sr0 = expectedMaxSharpe(n, 1);
    expect(sr0).toBeCloseTo(approx, 5);
    expect(Math.abs(sr0 / exact - 1)).toBeLessThan(0.025);
  });

  it("scales with √V and uses the Euler–Mascheroni constant", () => {
    expect(EULER_MASCHERONI).toBeCloseTo(0.5772156649, 10);
    expect(expectedMaxSharpe(100, 0.04)).toBeCloseTo(0.2 * expectedMaxSharpe(100, 1), 12);
  });

  it.each([
    ["one trial", 1, 1],
    ["no trials", 0, 1],
    ["zero variance across trials", 50, 0],
    ["an effective N just above 1 (the approximation would go negative)", 1.05, 1],
  ])("is 0 for %s", (_name, n, v) => {
    expect(expectedMaxSharpe(n, v)).toBe(0);
  });
});

describe("effectiveTrials", () => {
  it.each([
    [20, 0, 20],
    [20, 1, 1],
    [20, 0.5, 10.5],
    [20, 0.9, 2.9],
    [20, -0.3, 20],
    [1, 0.4, 1],
  ])("N = %i, ρ̄ = %f → %f", (n, rho, expected) => {
    expect(effectiveTrials(n, rho)).toBeCloseTo(expected, 12);
  });
});

describe("averagePairwiseCorrelation", () => {
  it("averages Pearson correlations over all pairs, leaving out zero-variance series", () => {
    // x ~ y (ρ = 1), z = reversed x (ρ = −1 with both): (1 − 1 − 1)/3
    expect(
      averagePairwiseCorrelation([
        [1, 2, 3, 4],
        [2, 4, 6, 8],
        [4, 3, 2, 1],
        [0, 0, 0, 0],
      ]),
    ).toBeCloseTo(-1 / 3, 12);
    // [1, 0, 0, 1] against [0, 1, 0, 1]: centred ±½, products −¼ −¼ +¼ +¼ → 0
    expect(
      averagePairwiseCorrelation([
        [1, 0, 0, 1],
        [0, 1, 0, 1],
      ]),
    ).toBeCloseTo(0, 12);
  });

  it("is null with fewer than two usable series", () => {
    expect(averagePairwiseCorrelation([[1, 2, 3]])).toBeNull();
    expect(
      averagePairwiseCorrelation([
        [1, 2, 3],
        [5, 5, 5],
      ]),
    ).toBeNull();
  });
});

describe("deflatedSharpeOfTrials", () => {
  function skillless(seed: number, trials: number, bars: number, common = 0): Float64Array[] {
    const rng = createRng(seed, "dsr-trials");
    const shared = Float64Array.from({ length: bars }, () => rng.normal());
    return Array.from({ length: trials }, () =>
      Float64Array.from(shared, (s) => Math.sqrt(common) * s + Math.sqrt(1 - common) * rng.normal()),
    );
  }

  it("selects the highest Sharpe, uses the trials' Sharpe variance and matches deflatedSharpeRatio on its moments", () => {
    const candidates = [
      [0.01, -0.02, 0.03, 0.01, 0.0, 0.02],
      [0.02, 0.01, 0.03, -0.01, 0.02, 0.01],
      [-0.01, 0.0, 0.01, -0.02, 0.01, 0.0],
    ];
    const r = deflatedSharpeOfTrials(candidates);
    expect(r.selected).toBe(1);
    expect(r.trials).toBe(3);
    const s = r.sharpes as number[];
    const mean = (s[0]! + s[1]! + s[2]!) / 3;
    expect(r.sharpeVariance).toBeCloseTo(((s[0]! - mean) ** 2 + (s[1]! - mean) ** 2 + (s[2]! - mean) ** 2) / 2, 12);
    expect(r.effectiveTrials).toBeCloseTo(effectiveTrials(3, r.averageCorrelation!), 12);
    const direct = deflatedSharpeRatio({
      sharpe: s[1]!,
      observations: 6,
      skewness: r.skewness!,
      kurtosis: r.kurtosis!,
      trials: r.effectiveTrials,
      sharpeVariance: r.sharpeVariance!,
    });
    expect(r.dsr).toBe(direct.dsr);
    expect(r.expectedMaxSharpe).toBe(direct.expectedMaxSharpe);
  });

  it("deflates N identical candidates like one trial (ρ̄ = 1 → N_eff = 1 → DSR = PSR(0))", () => {
    const one = skillless(1, 1, 500)[0]!;
    const r = deflatedSharpeOfTrials([one, one, one, one, one]);
    expect(r.effectiveTrials).toBeCloseTo(1, 12);
    expect(r.expectedMaxSharpe).toBe(0);
  });

  it("counts a candidate that never traded as a trial with Sharpe 0", () => {
    const [x, y] = skillless(2, 2, 300);
    const r = deflatedSharpeOfTrials([x!, new Float64Array(300), y!]);
    expect(r.trials).toBe(3);
    expect(r.sharpes[1]).toBe(0);
    expect(r.averageCorrelation).not.toBeNull();
  });

  it("has no DSR when no candidate has a Sharpe", () => {
    expect(deflatedSharpeOfTrials([new Float64Array(10), new Float64Array(10)])).toMatchObject({ dsr: null, selected: 0, sharpe: 0 });
    expect(deflatedSharpeOfTrials([])).toMatchObject({ dsr: null, selected: null, trials: 0 });
  });

  it("keeps the best of 20 skill-less candidates below 0.95 in all but about 5 % of searches, where PSR(0) passes most", () => {
    // 400 seeded searches of 20 independent zero-Sharpe candidates over 500 bars each. Measured: DSR ≥ 0.95
    // in 0.5 % of searches (conservative: SR0 is the mean of the maximum, whose spread is ≈ half a Sharpe
    // standard error); PSR(0) of the same winners ≥ 0.95 in 67 % (≈ 1 − 0.95^20 = 64 %).
    const runs = 400;
    let dsrPass = 0;
    let psrPass = 0;
    for (let run = 0; run < runs; run++) {
      const r = deflatedSharpeOfTrials(skillless(1000 + run, 20, 500));
      if (r.dsr! >= 0.95) dsrPass++;
      if (psr({ trades: 500, sharpe: r.sharpe, skewness: r.skewness, kurtosis: r.kurtosis })! >= 0.95) psrPass++;
    }
    expect(dsrPass / runs).toBeLessThanOrEqual(0.05 + 2.576 * Math.sqrt((0.05 * 0.95) / runs));
    expect(psrPass / runs).toBeGreaterThan(0.5);
  });

  it("with correlated candidates uses fewer effective trials, so a lower SR0 than the same N independent", () => {
    const correlated = deflatedSharpeOfTrials(skillless(3, 20, 500, 0.8));
    expect(correlated.averageCorrelation!).toBeGreaterThan(0.7);
    expect(correlated.effectiveTrials).toBeLessThan(7);
    expect(correlated.expectedMaxSharpe).toBeLessThan(expectedMaxSharpe(20, correlated.sharpeVariance!));
  });
});
