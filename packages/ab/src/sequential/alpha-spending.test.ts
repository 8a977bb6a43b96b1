import { createRng } from "@mlq/core";
import { describe, expect, it } from "vitest";
import { obrienFlemingSpent, sequentialBoundaries } from "./alpha-spending.js";

describe("obrienFlemingSpent", () => {
  it.each([
    // 2 − 2Φ(z_{0.975}/√t) by hand: z = 1.959964; t = 0.25 → 2·(1 − Φ(3.919928)) = 8.8575e-5
    [0.25, 0.05, 8.8575e-5],
    [0.5, 0.05, 0.0055746],
    [0.75, 0.05, 0.0236251],
    [1, 0.05, 0.05],
    [2, 0.05, 0.05],
    [0, 0.05, 0],
  ])("α(%s) at α=%s is %s", (t, alpha, expected) => {
    expect(obrienFlemingSpent(t, alpha)).toBeCloseTo(expected, 6);
  });
});

describe("sequentialBoundaries", () => {
  it("matches published one-sided O'Brien–Fleming-type boundaries (α = 0.05, four equal looks)", () => {
    // SeqBounds.jl README (one-sided, α = 0.05, t = .25,.5,.75,1): 3.74955, 2.53993, 2.01604, 1.72014
    const { boundaries } = sequentialBoundaries([0.25, 0.5, 0.75, 1], 0.05);
    const expected = [3.74955, 2.53993, 2.01604, 1.72014];
    boundaries.forEach((c, i) => expect(c).toBeCloseTo(expected[i]!, 3));
  });

  it("matches gsDesign's Lan–DeMets O'Brien–Fleming bounds (α = 0.025, five equal looks)", () => {
    const { boundaries } = sequentialBoundaries([0.2, 0.4, 0.6, 0.8, 1], 0.025);
    const expected = [4.8769, 3.3569, 2.6803, 2.2898, 2.031];
    boundaries.forEach((c, i) => expect(c).toBeCloseTo(expected[i]!, 3));
  });

  it("one look at t = 1 is the fixed-sample test", () => {
    expect(sequentialBoundaries([1], 0.05).boundaries[0]).toBeCloseTo(1.644854, 5);
  });

  it("a look without new information keeps the previous boundary and spends nothing", () => {
    const r = sequentialBoundaries([0.3, 0.3, 0.6], 0.05);
    expect(r.boundaries[1]).toBe(r.boundaries[0]);
    expect(r.spent[1]).toBe(r.spent[0]);
    expect(r.boundaries[2]).toBeCloseTo(sequentialBoundaries([0.3, 0.6], 0.05).boundaries[1]!, 10);
  });

  it("holds the crossing probability at α under H0 for 60 daily looks (Monte Carlo, 40,000 paths)", () => {
    const fractions = Array.from({ length: 56 }, (_, i) => (i + 5) / 60);
    const { boundaries } = sequentialBoundaries(fractions, 0.05);
    const rng = createRng(7, "alpha-spending");
    const paths = 40_000;
    let crossed = 0;
    for (let p = 0; p < paths; p++) {
      let s = 0; // Brownian motion in information time
      let t = 0;
      for (let k = 0; k < fractions.length; k++) {
        s += rng.normal() * Math.sqrt(fractions[k]! - t);
        t = fractions[k]!;
        if (s / Math.sqrt(t) >= boundaries[k]!) {
          crossed++;
          break;
        }
      }
    }
    const rate = crossed / paths;
    const se = Math.sqrt((0.05 * 0.95) / paths);
    expect(Math.abs(rate - 0.05)).toBeLessThan(3 * se);
  });
});
