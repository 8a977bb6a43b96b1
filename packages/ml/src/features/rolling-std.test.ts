import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { std } from "@mlq/core";
import { rollingStd } from "./rolling-std.js";
import { expectSeries, f64 } from "../dataset/synthetic-candles.test-util.js";

const NaN_ = Number.NaN;

describe("rollingStd", () => {
  it.each([
    [1, [NaN_, NaN_, 1, 1, 1]],
    [0, [NaN_, NaN_, Math.sqrt(2 / 3), Math.sqrt(2 / 3), Math.sqrt(2 / 3)]],
  ])("window 3 with ddof %i", (ddof, expected) => {
    expectSeries(rollingStd(f64([1, 2, 3, 4, 5]), 3, ddof), expected);
  });

  it("sliding sums equal a direct two-pass std on every window (incremental == full rebuild)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: -0.05, max: 0.05, noNaN: true }), fc.constant(0.001)), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 2, max: 40 }),
        fc.constantFrom(0, 1),
        (values, window, ddof) => {
          const xs = f64(values.map((v) => 100 + v));
          const out = rollingStd(xs, window, ddof);
          for (let t = 0; t < xs.length; t++) {
            if (t < window - 1) expect(out[t]).toBeNaN();
            else expect(out[t]).toBeCloseTo(std(xs.subarray(t - window + 1, t + 1), ddof), 9);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("gives exactly 0 on a flat window of values that do not sum exactly", () => {
    const out = rollingStd(f64(Array<number>(25).fill(0.1)), 20, 1);
    expect(out[24]).toBe(0);
  });
});
