import { describe, expect, it } from "vitest";
import { ConfigError } from "@mlq/core";
import { computeLabels, LABEL_NAMES } from "./compute-labels.js";
import { f64 } from "../dataset/synthetic-candles.test-util.js";

// H = 3 by hand. close 100 102 101 104 103 99, low 99 101 98 103 102 97.
const bars = { close: f64([100, 102, 101, 104, 103, 99]), low: f64([99, 101, 98, 103, 102, 97]) };
const labels = computeLabels(bars, { horizonBars: 3, costFraction: 0.01 });

describe("computeLabels", () => {
  it("names the five labels", () => {
    expect(LABEL_NAMES).toEqual(["direction", "risk", "price", "momentum", "volatility"]);
  });

  it.each([
    // t, price, direction, risk (min low over t+1..t+3), momentum (net / path)
    [0, Math.log(1.04), 1, 1 - 98 / 100, 4 / 6],
    [1, Math.log(103 / 102), 0, 1 - 98 / 102, 1 / 5], // +0.976 % does not beat a 1 % cost
    [2, Math.log(99 / 101), 0, 1 - 97 / 101, -2 / 8],
  ])("bar %i: price, direction vs cost, max adverse excursion, efficiency ratio", (t, price, direction, risk, momentum) => {
    expect(labels.price[t]).toBeCloseTo(price, 12);
    expect(labels.direction[t]).toBe(direction);
    expect(labels.risk[t]).toBeCloseTo(risk, 12);
    expect(labels.momentum[t]).toBeCloseTo(momentum, 12);
  });

  it("volatility is the ddof-1 std of the H forward one-bar log returns", () => {
    // returns ln(1.02), ln(101/102), ln(104/101): mean 0.0130738, Σd² = 8.33239e-4, /2, sqrt
    expect(labels.volatility[0]).toBeCloseTo(0.0204113, 6);
  });

  it("leaves the last H bars unlabeled", () => {
    for (const name of LABEL_NAMES) for (const t of [3, 4, 5]) expect(labels[name][t]).toBeNaN();
  });

  it("risk is 0 when price never trades below the entry close; a flat path has momentum 0 and volatility 0", () => {
    const up = computeLabels({ close: f64([100, 101, 102]), low: f64([99.5, 100.5, 101.5]) }, { horizonBars: 2, costFraction: 0 });
    expect(up.risk[0]).toBe(0);
    expect(up.momentum[0]).toBe(1);
    const flat = computeLabels({ close: f64([5, 5, 5]), low: f64([5, 5, 5]) }, { horizonBars: 2, costFraction: 0 });
    expect([flat.momentum[0], flat.volatility[0], flat.direction[0], flat.price[0]]).toEqual([0, 0, 0, 0]);
  });

  it.each([1, 0, 2.5])("rejects horizonBars %s with a ConfigError", (h) => {
    expect(() => computeLabels(bars, { horizonBars: h, costFraction: 0 })).toThrow(ConfigError);
  });
});
