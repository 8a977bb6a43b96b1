import { describe, expect, it } from "vitest";
import { logReturns } from "./log-returns.js";
import { expectSeries, f64 } from "../dataset/synthetic-candles.test-util.js";

const NaN_ = Number.NaN;

describe("logReturns", () => {
  it.each([
    [1, [NaN_, Math.log(1.1), Math.log(1.1)]],
    [2, [NaN_, NaN_, Math.log(1.21)]],
  ])("k = %i counts bars back from t", (k, expected) => {
    expectSeries(logReturns(f64([100, 110, 121]), k), expected);
  });

  it("is not defined across a non-positive price (no silent -Infinity or NaN leaking as a number)", () => {
    const r = logReturns(f64([100, 0, 100]), 1);
    expect(Number.isFinite(r[1]!)).toBe(false);
    expect(Number.isFinite(r[2]!)).toBe(false);
  });
});
