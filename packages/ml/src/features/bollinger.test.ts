import { describe, expect, it } from "vitest";
import { bollingerPctB } from "./bollinger.js";
import { f64 } from "../dataset/synthetic-candles.test-util.js";

describe("bollingerPctB", () => {
  it.each([
    ["rising window", [1, 2, 3], 0.5 + 1 / (4 * Math.sqrt(2 / 3))],
    ["falling back", [1, 2, 3, 2], 0.5 - 1 / 3 / (4 * Math.sqrt(2 / 9))],
  ])("window 3, 2σ (ddof 0): %s", (_name, closes, expected) => {
    const out = bollingerPctB(f64(closes), 3, 2);
    expect(out[1]).toBeNaN();
    expect(out[closes.length - 1]).toBeCloseTo(expected, 12);
  });

  it("uses the population σ on a 20-bar ramp (ddof 1 would give 0.9014)", () => {
    const ramp = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(bollingerPctB(f64(ramp))[19]).toBeCloseTo(0.5 + 9.5 / (4 * Math.sqrt(399 / 12)), 12);
  });

  it("is NaN on a flat window", () => {
    expect(bollingerPctB(f64(Array<number>(20).fill(0.1)))[19]).toBeNaN();
  });
});
