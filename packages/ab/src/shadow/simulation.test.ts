import { createRng } from "@mlq/core";
import { describe, expect, it } from "vitest";
import { bootstrapPairedSharpe } from "./block-bootstrap.js";
import { hacPairedSharpe, jobsonKorkieMemmel, pairMoments } from "./paired-sharpe.js";
import { mcMargin } from "../sequential/simulation.test-util.js";
import { simulatePairedShadow, type PairedShadowSim } from "./simulation.test-util.js";

// 500 seeded replications per scenario; each bootstrap uses 199 resamples instead of the default 2,000
// (with 199 the p-value grid still puts exactly 5 % of ranks at p ≤ 0.05) so the file runs in a few seconds.
// 3,000 bars with H = 10 is 300 holding periods; docs/STATISTICS-shadow-dsr.md has the 2,000-run figures,
// including the shorter windows where the bootstrap over-rejects at the high-correlation end.
const RUNS = 500;
const H = 10;
const base = { bars: 3000, horizonBars: H, signal: 0.3 } as const;

interface NullRates {
  correlation: number;
  /** mean HAC variance / mean JKM variance: > 1 when the series are positively autocorrelated. */
  varianceInflation: number;
  boot: { better: number; worse: number; half: number };
  hac: { better: number; worse: number };
}

function nullRates(sim: PairedShadowSim, seed: number): NullRates {
  const rng = createRng(seed, `shadow-null:${sim.threshold}:${sim.noiseCorrelation}`);
  const r: NullRates = { correlation: 0, varianceInflation: 0, boot: { better: 0, worse: 0, half: 0 }, hac: { better: 0, worse: 0 } };
  let hacVar = 0;
  let jkmVar = 0;
  for (let run = 0; run < RUNS; run++) {
    const { a, b } = simulatePairedShadow(rng, sim);
    const m = pairMoments(a, b);
    r.correlation += m.cov / Math.sqrt(m.varA * m.varB) / RUNS;
    const boot = bootstrapPairedSharpe(a, b, { horizonBars: H, resamples: 199, seed: run });
    const hac = hacPairedSharpe(a, b, { horizonBars: H });
    hacVar += hac.standardError! ** 2;
    jkmVar += jobsonKorkieMemmel(a, b).standardError! ** 2;
    r.boot.better += Number(boot.pBetter <= 0.05) / RUNS;
    r.boot.worse += Number(boot.pWorse <= 0.05) / RUNS;
    r.boot.half += Number(boot.pBetter <= 0.5) / RUNS;
    r.hac.better += Number(hac.pBetter <= 0.05) / RUNS;
    r.hac.worse += Number(hac.pWorse <= 0.05) / RUNS;
  }
  r.varianceInflation = hacVar / jkmVar;
  return r;
}

describe("paired Sharpe tests on simulated shadow series with equal Sharpe (positions held H = 10 bars, 3,000 bars)", () => {
  const margin5 = mcMargin(0.05, RUNS);
  const margin50 = mcMargin(0.5, RUNS);

  it.each([
    // Rarely trading, independent model noise.
    ["low correlation (≈ 0.5)", { ...base, threshold: 0.99, noiseA: 1, noiseB: 1, noiseCorrelation: 0 }, [0.45, 0.6]],
    // Often trading, nearly the same model.
    ["high correlation (≈ 0.92)", { ...base, threshold: 0.75, noiseA: 1, noiseB: 1, noiseCorrelation: 0.95 }, [0.88, 0.95]],
  ] as const)("%s: bootstrap and HAC p-values reject at 5 % within Monte-Carlo error, the bootstrap's is uniform at ½", (_name, sim, [lo, hi]) => {
    const r = nullRates(sim, 2026);
    expect(r.correlation).toBeGreaterThanOrEqual(lo);
    expect(r.correlation).toBeLessThanOrEqual(hi);
    // The held positions make the series autocorrelated: the i.i.d. (JKM) variance is too small.
    expect(r.varianceInflation).toBeGreaterThan(1.05);
    expect(Math.abs(r.boot.better - 0.05)).toBeLessThanOrEqual(margin5);
    expect(Math.abs(r.boot.worse - 0.05)).toBeLessThanOrEqual(margin5);
    expect(Math.abs(r.boot.half - 0.5)).toBeLessThanOrEqual(margin50);
    expect(Math.abs(r.hac.better - 0.05)).toBeLessThanOrEqual(margin5);
    expect(Math.abs(r.hac.worse - 0.05)).toBeLessThanOrEqual(margin5);
  });

  it("finds a planted better challenger with p → 0 as bars accrue, and never finds it worse", () => {
    const sim = { ...base, threshold: 0.9, noiseA: 1.5, noiseB: 0.5, noiseCorrelation: 0.5 };
    const rng = createRng(7, "shadow-power");
    const medians: number[] = [];
    for (const bars of [300, 1000, 3000]) {
      const ps: number[] = [];
      for (let run = 0; run < 15; run++) {
        const { a, b } = simulatePairedShadow(rng, { ...sim, bars });
        const r = bootstrapPairedSharpe(a, b, { horizonBars: H, resamples: 999, seed: run });
        ps.push(r.pBetter);
        expect(r.pWorse).toBeGreaterThan(0.05);
      }
      medians.push(ps.sort((x, y) => x - y)[7]!);
    }
    expect(medians[1]).toBeLessThan(medians[0]!);
    expect(medians[2]).toBeLessThan(medians[1]!);
    expect(medians[2]).toBeLessThanOrEqual(0.005);
  });

  it("gives p = 1 both ways for two identical model sets on the same bars", () => {
    const { a } = simulatePairedShadow(createRng(1, "identical"), { ...base, threshold: 0.9, noiseA: 1, noiseB: 1, noiseCorrelation: 0 });
    const r = bootstrapPairedSharpe(a, Float64Array.from(a), { horizonBars: H });
    expect(r).toMatchObject({ status: "identical", pBetter: 1, pWorse: 1 });
  });
});
