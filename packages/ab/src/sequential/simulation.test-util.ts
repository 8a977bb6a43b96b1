// Seeded simulations of the promotion loop's statistics (the figures in packages/ab/README.md).
import { createRng, DAY_MS, type Rng } from "@mlq/core";
import { armMetrics } from "../arm-metrics.js";
import { decidePromotion, DEFAULT_PROMOTION_POLICY } from "../decide-promotion.js";
import { expectedTradesAtExpiry } from "./sequential-look.js";

/** Student-t draw with ν degrees of freedom, scaled to unit variance. */
export function studentT(rng: Rng, nu: number): number {
  let chi = 0;
  for (let i = 0; i < nu; i++) {
    const z = rng.normal();
    chi += z * z;
  }
  return rng.normal() / Math.sqrt(chi / nu) / Math.sqrt(nu / (nu - 2));
}

export interface AbSimulation {
  runs: number;
  seed: number;
  /** Per-trade Sharpe of arm A and arm B. */
  sharpeA: number;
  sharpeB: number;
  tradesPerDay: number;
  maxDays: number;
  alpha: number;
  nu: number;
  /** Scale of a trade's pnl_pct (its σ). */
  sigma?: number;
}

export interface AbSimulationResult {
  swapped: number;
  /** Share of runs that ever swap within maxDays. */
  swapRate: number;
  /** Days to the swap, for the runs that swapped. */
  swapDays: number[];
}

/** One look a day from the first day both arms hold the minimum trades to the expiry look. */
export function simulateEvaluations(sim: AbSimulation): AbSimulationResult {
  const rng = createRng(sim.seed, `ab-sim:${sim.sharpeA}:${sim.sharpeB}:${sim.nu}`);
  const sigma = sim.sigma ?? 1;
  const n = sim.tradesPerDay * sim.maxDays;
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) ts[i] = Math.floor(i / sim.tradesPerDay) * DAY_MS + (i % sim.tradesPerDay) * 1000;
  const swapDays: number[] = [];
  for (let run = 0; run < sim.runs; run++) {
    for (let i = 0; i < n; i++) {
      a[i] = sigma * (sim.sharpeA + studentT(rng, sim.nu));
      b[i] = sigma * (sim.sharpeB + studentT(rng, sim.nu));
    }
    const fractions: number[] = [];
    let nMax: number | null = null;
    for (let day = 1; day <= sim.maxDays; day++) {
      const k = day * sim.tradesPerDay;
      if (k < DEFAULT_PROMOTION_POLICY.minTradesPerArm) continue;
      nMax ??= expectedTradesAtExpiry(k, day * DAY_MS, sim.maxDays * DAY_MS);
      const ma = armMetrics(a.subarray(0, k), ts.subarray(0, k));
      const mb = armMetrics(b.subarray(0, k), ts.subarray(0, k));
      const d = decidePromotion(ma, mb, DEFAULT_PROMOTION_POLICY, {
        alpha: sim.alpha,
        previousFractions: fractions,
        nMaxPerArm: nMax,
        expired: day === sim.maxDays,
      });
      if (d.look) fractions.push(d.look.informationFraction);
      if (d.swapRecommended) {
        swapDays.push(day);
        break;
      }
    }
  }
  return { swapped: swapDays.length, swapRate: swapDays.length / sim.runs, swapDays };
}

/** Two-sided 99 % Monte-Carlo margin of a rate p estimated from `runs` runs. */
export function mcMargin(p: number, runs: number): number {
  return 2.576 * Math.sqrt((p * (1 - p)) / runs);
}
