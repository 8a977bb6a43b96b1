// Seeded synthetic shadow evaluations: one price path with a persistent, partly predictable drift, two
// direction "models" that see the drift through correlated noise, both run through the real policy.
import { normalCdf, type Rng } from "@mlq/core";
import { longOnlyHoldPolicy, type ShadowBar } from "@mlq/ml";

export interface PairedShadowSim {
  readonly bars: number;
  readonly horizonBars: number;
  /** Noise of each model's view of the drift, in units of the drift's own sd: equal noise = equal Sharpe. */
  readonly noiseA: number;
  readonly noiseB: number;
  /** Correlation of the two models' noises; sets how often they trade together. */
  readonly noiseCorrelation: number;
  /** Expected per-bar return per unit of drift, in units of the per-bar volatility. */
  readonly signal: number;
  readonly threshold: number;
  readonly costPerSide?: number;
}

const VOL = 0.001;

/**
 * Drift d_t is AR(1) with persistence 1 − 1/H and unit variance; the bar's log return is
 * VOL·(signal·d_{t−1} + ε_t); model m's probability is Φ(d_t + noise_m·e_{m,t}).
 */
export function simulatePairedShadow(rng: Rng, sim: PairedShadowSim): { a: Float64Array; b: Float64Array } {
  const n = sim.bars;
  const phi = 1 - 1 / sim.horizonBars;
  const innov = Math.sqrt(1 - phi * phi);
  const bars: ShadowBar[] = new Array<ShadowBar>(n);
  const pa = new Float64Array(n);
  const pb = new Float64Array(n);
  const rc = Math.sqrt(sim.noiseCorrelation);
  const ri = Math.sqrt(1 - sim.noiseCorrelation);
  let d = rng.normal();
  let close = 100;
  for (let t = 0; t < n; t++) {
    const x = VOL * (sim.signal * d + rng.normal());
    close *= Math.exp(x);
    d = phi * d + innov * rng.normal();
    bars[t] = { tsMs: t * 60_000, close };
    const common = rng.normal();
    pa[t] = normalCdf(d + sim.noiseA * (rc * common + ri * rng.normal()));
    pb[t] = normalCdf(d + sim.noiseB * (rc * common + ri * rng.normal()));
  }
  const params = { entryThreshold: sim.threshold, horizonBars: sim.horizonBars, costPerSide: sim.costPerSide ?? 0 };
  return {
    a: longOnlyHoldPolicy([{ symbol: "SIM", bars, probabilities: pa }], params).returns,
    b: longOnlyHoldPolicy([{ symbol: "SIM", bars, probabilities: pb }], params).returns,
  };
}
