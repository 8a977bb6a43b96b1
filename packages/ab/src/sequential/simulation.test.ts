import { describe, expect, it } from "vitest";
import { mcMargin, simulateEvaluations } from "./simulation.test-util.js";

const base = { runs: 1000, seed: 2026, sharpeA: 0.02, tradesPerDay: 20, maxDays: 60, alpha: 0.05 };

describe("the sequential promotion decision (seeded simulations, 1,000 runs each)", () => {
  it.each([4, 6])("with equal arms (Student-t, ν = %i) swaps in at most α + its Monte-Carlo margin of runs over 56 daily looks", (nu) => {
    const r = simulateEvaluations({ ...base, sharpeB: 0.02, nu });
    expect(r.swapRate).toBeLessThanOrEqual(0.05 + mcMargin(0.05, base.runs));
  });

  it("with a +0.12 per-trade Sharpe edge (ν = 5) swaps within 60 days in at least 80 % of runs", () => {
    const r = simulateEvaluations({ ...base, sharpeB: 0.14, nu: 5 });
    expect(r.swapRate).toBeGreaterThanOrEqual(0.8);
  });
});
