import { describe, expect, it } from "vitest";
import { rsi } from "./rsi.js";
import { expectSeries, f64 } from "../dataset/synthetic-candles.test-util.js";

const NaN_ = Number.NaN;

describe("rsi", () => {
  it("seeds Wilder smoothing with the mean of the first `period` changes (period 3)", () => {
    // changes +1 −1 +2 | +1 −1 → G,L = 1,1/3 → 1,2/9 → 2/3,13/27
    expectSeries(rsi(f64([10, 11, 10, 12, 13, 12]), 3), [NaN_, NaN_, NaN_, 75, 900 / 11, 1800 / 31]);
  });

  it("period 14: alternating +2/−1 seeds G = 1, L = 0.5, then a +3 bar", () => {
    const closes = [100];
    for (let i = 1; i <= 14; i++) closes.push(closes[i - 1]! + (i % 2 === 1 ? 2 : -1));
    closes.push(closes[14]! + 3);
    const out = rsi(f64(closes), 14);
    expect(out[13]).toBeNaN();
    expect(out[14]).toBeCloseTo(200 / 3, 10);
    // G = (13 + 3)/14, L = 0.5·13/14 → 100·16/22.5
    expect(out[15]).toBeCloseTo(1600 / 22.5, 10);
  });

  it("is NaN (dropped) when nothing moved", () => {
    expect(rsi(f64(Array<number>(20).fill(5)), 14)[19]).toBeNaN();
  });
});
