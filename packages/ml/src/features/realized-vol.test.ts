import { describe, expect, it } from "vitest";
import { realizedVol } from "./realized-vol.js";
import { expectSeries, f64 } from "../dataset/synthetic-candles.test-util.js";

const NaN_ = Number.NaN;

describe("realizedVol", () => {
  it("is the ddof-1 std of the last `window` one-bar log returns, defined from t = window", () => {
    // log returns: [−, 1, 0, 2]
    expectSeries(realizedVol(f64([1, Math.E, Math.E, Math.E ** 3]), 2), [NaN_, NaN_, Math.sqrt(0.5), Math.sqrt(2)]);
  });

  it("is zero on a flat path, not a rounding residue", () => {
    expect(realizedVol(f64([5, 5, 5, 5, 5]), 3)[4]).toBe(0);
  });
});
