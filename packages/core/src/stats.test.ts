import { describe, expect, it } from "vitest";
import { finiteOrNull, normalCdf, normalQuantile, percentile } from "./stats.js";

// Reference values: Φ and Φ⁻¹ as published in standard tables (Abramowitz & Stegun 26.2,
// NIST/SEMATECH e-Handbook 1.3.6.7.1), to the digits given there; agree with
// 0.5·erfc(−z/√2) in double precision.
describe("normalCdf", () => {
  it.each([
    [0, 0.5],
    [1, 0.8413447460685429],
    [1.96, 0.9750021048517795],
    [-1.96, 0.0249978951482204],
    [2.5758293035489, 0.995],
    [3, 0.9986501019683699],
    [-3, 0.0013498980316301],
  ])("Φ(%s) = %s", (z, p) => {
    expect(normalCdf(z)).toBeCloseTo(p, 7);
  });

  it.each([
    [-5, 2.866515718791939e-7],
    [-8, 6.220960574271785e-16],
  ])("keeps its relative accuracy in the far lower tail: Φ(%s) = %s", (z, p) => {
    expect(Math.abs(normalCdf(z) - p) / p).toBeLessThan(1.2e-7);
  });

  it("is symmetric: Φ(z) + Φ(−z) = 1 (to the erfc fit's accuracy at z = 0, exactly elsewhere)", () => {
    for (let z = -6; z <= 6; z += 0.25) expect(Math.abs(normalCdf(z) + normalCdf(-z) - 1)).toBeLessThan(z === 0 ? 1.2e-7 : 1e-15);
  });

  it.each([
    [Infinity, 1],
    [-Infinity, 0],
  ])("Φ(%s) = %s", (z, p) => expect(normalCdf(z)).toBe(p));

  it("is NaN for NaN", () => expect(normalCdf(Number.NaN)).toBeNaN());
});

describe("normalQuantile", () => {
  it.each([
    [0.5, 0],
    [0.975, 1.959963984540054],
    [0.95, 1.6448536269514722],
    [0.99, 2.3263478740408408],
    [0.995, 2.5758293035489004],
    [0.01, -2.3263478740408408],
    [0.001, -3.090232306167813],
    [1e-6, -4.753424308822899],
    // Either side of Acklam's region boundaries (0.02425 and 0.97575).
    [0.02425, -1.9729610513118845],
    [0.97575, 1.9729610513118847],
  ])("Φ⁻¹(%s) = %s (Acklam: relative error < 1.15e-9)", (p, z) => {
    const q = normalQuantile(p);
    if (z === 0) expect(Math.abs(q)).toBeLessThan(1e-15);
    else expect(Math.abs(q - z) / Math.abs(z)).toBeLessThan(1.15e-9);
  });

  it("inverts normalCdf across the range", () => {
    for (let z = -5; z <= 5; z += 0.125) expect(normalQuantile(normalCdf(z))).toBeCloseTo(z, 5);
  });

  it.each([
    [0, -Infinity],
    [1, Infinity],
    [-0.5, -Infinity],
    [1.5, Infinity],
  ])("Φ⁻¹(%s) = %s", (p, z) => expect(normalQuantile(p)).toBe(z));
});

// numpy.percentile's default ("linear"): rank = p/100 · (n − 1) into the sorted values, interpolated
// between the two closest ranks. Expected values are numpy 2.4's.
describe("percentile (numpy's linear interpolation between closest ranks)", () => {
  const xs = [15, 20, 35, 40, 50];
  it.each([
    [0, 15],
    [10, 17], // rank 0.4: 15 + 0.4·5
    [25, 20], // rank 1 exactly
    [40, 29], // rank 1.6: 20 + 0.6·15
    [50, 35],
    [90, 46], // rank 3.6: 40 + 0.6·10
    [100, 50],
    [33.3, 24.98], // rank 1.332: 20 + 0.332·15
  ])("p%s of [15, 20, 35, 40, 50] = %s", (p, expected) => {
    expect(percentile(xs, p)).toBeCloseTo(expected, 10);
  });

  it.each([
    ["unsorted input", [3, 1, 2], 50, 2],
    ["negative values", [-1.5, 2.25, 0, 10, -3], 20, -1.8], // sorted -3 -1.5 0 2.25 10; rank 0.8
    ["one value", [7], 80, 7],
    ["a Float64Array", new Float64Array([1, 2, 3, 4]), 80, 3.4], // rank 2.4
  ])("%s", (_name, values, p, expected) => {
    expect(percentile(values, p)).toBeCloseTo(expected, 10);
  });

  it("sorts numerically, not as strings", () => {
    expect(percentile([10, 9, 100, 1], 50)).toBe(9.5);
  });

  it("does not reorder its input", () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });

  it("is NaN for no values", () => expect(percentile([], 50)).toBeNaN());
});

describe("finiteOrNull", () => {
  it.each([
    [0, 0],
    [-1.5, -1.5],
    [Number.MAX_VALUE, Number.MAX_VALUE],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
    [Number.NEGATIVE_INFINITY, null],
    [null, null],
    [undefined, null],
  ])("%s -> %s", (x, out) => expect(finiteOrNull(x)).toBe(out));
});
