import { describe, expect, it } from "vitest";
import { macdHistOverClose } from "./macd.js";
import { expectSeries, f64 } from "../dataset/synthetic-candles.test-util.js";

describe("macdHistOverClose", () => {
  it("seeds every EMA at the first value (spans 1/3/3 by hand)", () => {
    // fast = close; slow: 10, 11, 11; macd 0, 1, 0; signal 0, 0.5, 0.25
    expectSeries(macdHistOverClose(f64([10, 12, 11]), 1, 3, 3), [0, 0.5 / 12, -0.25 / 11]);
  });

  it("12/26/9 after one step: hist = (1 − 2/10)·(20/13 − 20/27), divided by close", () => {
    expect(macdHistOverClose(f64([100, 110]))[1]).toBeCloseTo(224 / 351 / 110, 12);
  });
});
