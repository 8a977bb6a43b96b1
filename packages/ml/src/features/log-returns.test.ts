import { describe, it } from "vitest";
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
});
