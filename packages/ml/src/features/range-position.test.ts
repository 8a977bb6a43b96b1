import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rangePosition } from "./range-position.js";
import { expectSeries, f64 } from "../dataset/synthetic-candles.test-util.js";

const NaN_ = Number.NaN;

// H/L/C shared by ATR and range position: a rise, a dip, then a gap down.
const H = f64([11, 12, 15, 14, 10]);
const L = f64([9, 10, 11, 13, 9]);
const C = f64([10, 11, 14, 13.5, 9.5]);

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
