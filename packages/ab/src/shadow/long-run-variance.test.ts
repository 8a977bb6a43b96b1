import { ConfigError } from "@mlq/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { kernelWeight, longRunVariance } from "./long-run-variance.js";

describe("kernelWeight", () => {
  it.each([
    ["bartlett", 0, 1],
    ["bartlett", 0.25, 0.75],
    ["bartlett", -0.5, 0.5],
    ["bartlett", 1, 0],
    ["parzen", 0, 1],
    // 1 − 6/16 + 6/64
    ["parzen", 0.25, 0.71875],
    // 1 − 6/4 + 6/8 = 2·(1/2)³: the two pieces meet at ½
    ["parzen", 0.5, 0.25],
    // 2·(1/4)³
    ["parzen", -0.75, 0.03125],
    ["parzen", 1.2, 0],
  ] as const)("%s(%f) = %f", (kernel, x, w) => {
    expect(kernelWeight(kernel, x)).toBeCloseTo(w, 15);
  });
});

describe("longRunVariance", () => {
  // u = 1..5: mean 3, d = −2 −1 0 1 2, γ0 = 10/5 = 2, γ1 = (2 + 0 + 0 + 2)/5 = 0.8; only lags j < S carry weight,
  // so S = 1 gives γ0 and S = 2 gives γ0 + 2·k(½)·γ1 (Bartlett k(½) = ½, Parzen k(½) = ¼).
  it.each([
    ["bartlett", 1, 2],
    ["bartlett", 2, 2 + 2 * 0.5 * 0.8],
    ["parzen", 2, 2 + 2 * 0.25 * 0.8],
  ] as const)("%s with bandwidth %i on 1..5 is %f", (kernel, s, v) => {
    expect(longRunVariance([1, 2, 3, 4, 5], kernel, s)).toBeCloseTo(v, 14);
  });

  it("with bandwidth 1 is the biased variance, for either kernel", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 50 }), (xs) => {
        const m = xs.reduce((s, x) => s + x, 0) / xs.length;
        const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length;
        expect(longRunVariance(xs, "parzen", 1)).toBeCloseTo(v, 9);
        expect(longRunVariance(xs, "bartlett", 1)).toBeCloseTo(v, 9);
      }),
    );
  });

  it("is never negative (both kernels have non-negative spectral windows)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 80 }),
        (xs, s) => {
          expect(longRunVariance(xs, "parzen", s)).toBeGreaterThanOrEqual(0);
          expect(longRunVariance(xs, "bartlett", s)).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });

  it("recovers H·σ² for a series that repeats each value H times (a position held H bars)", () => {
    // Blocks of H equal values: Var(mean) ≈ H·σ²/T; Bartlett with bandwidth ≫ H gets close to H·σ² from below.
    const h = 5;
    const u: number[] = [];
    let x = 1;
    for (let k = 0; k < 4000; k++) {
      x = (x * 16807) % 2147483647;
      const v = x / 2147483647 - 0.5;
      for (let i = 0; i < h; i++) u.push(v);
    }
    const sigma2 = 1 / 12;
    expect(longRunVariance(u, "bartlett", 100) / (h * sigma2)).toBeGreaterThan(0.9);
    expect(longRunVariance(u, "bartlett", 100) / (h * sigma2)).toBeLessThan(1.05);
    expect(longRunVariance(u, "bartlett", 1) / sigma2).toBeCloseTo(1, 1);
  });

  it("rejects a bandwidth that is not a whole number ≥ 1", () => {
    expect(() => longRunVariance([1, 2], "parzen", 0)).toThrow(ConfigError);
    expect(() => longRunVariance([1, 2], "parzen", 2.5)).toThrow(ConfigError);
  });
});
