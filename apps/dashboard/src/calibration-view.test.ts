import { describe, expect, it } from "vitest";
import { assumedSlippage, calibrationBuckets, recommendations } from "./calibration-view.js";

describe("calibrationBuckets", () => {
  it("reads the known field names of each bucket", () => {
    const payload = {
      time_of_day: {
        "00-06": { ema_slippage_per_side_pct: 0.05, position_size_multiplier: 0.9, trades: 40 },
        "06-12": { avg_slippage_per_side_pct: 0.02, multiplier: 1.2, trades_analyzed: 3, note: "few" },
      },
    };
    expect(calibrationBuckets(payload, "time_of_day")).toEqual([
      { name: "00-06", slippagePct: 0.05, multiplier: 0.9, trades: 40, fields: { ema_slippage_per_side_pct: 0.05, position_size_multiplier: 0.9, trades: 40 } },
      { name: "06-12", slippagePct: 0.02, multiplier: 1.2, trades: 3, fields: { avg_slippage_per_side_pct: 0.02, multiplier: 1.2, trades_analyzed: 3 } },
    ]);
  });

  it("falls back to any field naming slippage, and to bare numbers", () => {
    const [a, b] = calibrationBuckets({ regime_slippage: { trending: { median_slippage: 0.07 }, ranging: 0.01 } }, "regime_slippage");
    expect(a?.slippagePct).toBe(0.07);
    expect(b?.slippagePct).toBe(0.01);
  });

  it.each([null, "x", [], { time_of_day: [1, 2] }, { other: {} }])("returns no buckets for %j", (payload) => {
    expect(calibrationBuckets(payload, "time_of_day")).toEqual([]);
  });
});

describe("assumedSlippage / recommendations", () => {
  it("reads them when present", () => {
    expect(assumedSlippage({ assumed_slippage_per_side_pct: 0.06 })).toBe(0.06);
    expect(assumedSlippage({})).toBeNull();
    expect(recommendations({ recommendations: ["reduce size", { bucket: "00-06" }] })).toEqual(["reduce size", '{"bucket":"00-06"}']);
  });
});
