import { describe, expect, it } from "vitest";
import { atrOverClose } from "./atr.js";
import { expectSeries, f64 } from "../dataset/synthetic-candles.test-util.js";

const NaN_ = Number.NaN;

// H/L/C shared by ATR and range position: a rise, a dip, then a gap down.
const H = f64([11, 12, 15, 14, 10]);
const L = f64([9, 10, 11, 13, 9]);
const C = f64([10, 11, 14, 13.5, 9.5]);

describe("atrOverClose", () => {
  it("period 3: first TR = H−L, Wilder seeded by the mean of the first 3 TRs, gap TR from the previous close", () => {
    // TR = 2, 2, 4 | 1, 4.5 → ATR = 8/3, 19/9, 78.5/27
    expectSeries(atrOverClose(H, L, C, 3), [NaN_, NaN_, 8 / 3 / 14, 19 / 9 / 13.5, 78.5 / 27 / 9.5]);
  });

  it("period 14 is defined from the 14th bar", () => {
    const n = 16;
    const ones = f64(Array<number>(n).fill(1));
    const out = atrOverClose(f64(Array<number>(n).fill(2)), ones, f64(Array<number>(n).fill(1.5)));
    expect(out[12]).toBeNaN();
    expect(out[13]).toBeCloseTo(1 / 1.5, 12);
  });
});
