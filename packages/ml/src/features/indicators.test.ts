import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { std } from "@mlq/core";
import { atrOverClose } from "./atr.js";
import { bollingerPctB } from "./bollinger.js";
import { logReturns } from "./log-returns.js";
import { macdHistOverClose } from "./macd.js";
import { rangePosition } from "./range-position.js";
import { realizedVol } from "./realized-vol.js";
import { rollingStd } from "./rolling-std.js";
import { rsi } from "./rsi.js";
import { f64 } from "../dataset/synthetic-candles.test-util.js";

function expectSeries(actual: Float64Array, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    if (Number.isNaN(e)) expect(actual[i], `index ${i}`).toBeNaN();
    else expect(actual[i], `index ${i}`).toBeCloseTo(e, 10);
  });
}
const NaN_ = Number.NaN;

describe("logReturns", () => {
  it.each([
    [1, [NaN_, Math.log(1.1), Math.log(1.1)]],
    [2, [NaN_, NaN_, Math.log(1.21)]],
  ])("k = %i counts bars back from t", (k, expected) => {
    expectSeries(logReturns(f64([100, 110, 121]), k), expected);
  });
});

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

describe("realizedVol", () => {
  it("is the ddof-1 std of the last `window` one-bar log returns, defined from t = window", () => {
    // log returns: [−, 1, 0, 2]
    expectSeries(realizedVol(f64([1, Math.E, Math.E, Math.E ** 3]), 2), [NaN_, NaN_, Math.sqrt(0.5), Math.sqrt(2)]);
  });
});

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

describe("macdHistOverClose", () => {
  it("seeds every EMA at the first value (spans 1/3/3 by hand)", () => {
    // fast = close; slow: 10, 11, 11; macd 0, 1, 0; signal 0, 0.5, 0.25
    expectSeries(macdHistOverClose(f64([10, 12, 11]), 1, 3, 3), [0, 0.5 / 12, -0.25 / 11]);
  });

  it("12/26/9 after one step: hist = (1 − 2/10)·(20/13 − 20/27), divided by close", () => {
    expect(macdHistOverClose(f64([100, 110]))[1]).toBeCloseTo(224 / 351 / 110, 12);
  });
});

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

describe("rangePosition", () => {
  it("window 3: (C − min L) / (max H − min L)", () => {
    expectSeries(rangePosition(H, L, C, 3), [NaN_, NaN_, 5 / 6, 0.7, 0.5 / 6]);
  });

  it("matches a direct scan of the window for any bars", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 25 }), (raw, window) => {
        const low = f64(raw.map(([l]) => l));
        const high = f64(raw.map(([l, w]) => l + w));
        const close = f64(raw.map(([l, w]) => l + w / 2));
        const out = rangePosition(high, low, close, window);
        for (let t = window - 1; t < raw.length; t++) {
          const lo = Math.min(...low.subarray(t - window + 1, t + 1));
          const hi = Math.max(...high.subarray(t - window + 1, t + 1));
          if (hi === lo) expect(out[t]).toBeNaN();
          else expect(out[t]).toBe((close[t]! - lo) / (hi - lo));
        }
      }),
      { numRuns: 100 },
    );
  });

  it("is NaN when the range is zero", () => {
    const flat = f64([1, 1, 1]);
    expect(rangePosition(flat, flat, flat, 3)[2]).toBeNaN();
  });
});
