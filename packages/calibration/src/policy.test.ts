import { describe, expect, it } from "vitest";
import { ConfigError } from "@mlq/core";
import { calibrationPolicyFromConfig, DEFAULT_CALIBRATION_POLICY } from "./policy.js";

const config = {
  calibration: {
    emaSpan: 50,
    recentTrades: 10,
    recentBoost: 2,
    alphaCap: 0.4,
    minBucketTrades: 5,
    regimeLookbackBars: 30,
    volatilePercentile: 90,
    trendingEfficiency: 0.25,
  },
  costs: { baseSlippagePerSidePct: 0.05 },
};

describe("calibrationPolicyFromConfig", () => {
  it("takes the calibration slice and the base slippage, with slippage_mult 2.0 by default", () => {
    expect(calibrationPolicyFromConfig(config)).toEqual({ ...config.calibration, basePerSidePct: 0.05, slippageMult: 2 });
    expect(calibrationPolicyFromConfig(config, 1.6).slippageMult).toBe(1.6);
  });

  it("matches the documented defaults", () => {
    expect(DEFAULT_CALIBRATION_POLICY).toMatchObject({ emaSpan: 100, recentTrades: 50, recentBoost: 3, alphaCap: 0.5, minBucketTrades: 20, basePerSidePct: 0.03, slippageMult: 2 });
  });

  it("rejects a bad slice with ConfigError naming the field", () => {
    expect(() => calibrationPolicyFromConfig(config, 0)).toThrow(ConfigError);
    expect(() => calibrationPolicyFromConfig({ ...config, calibration: { ...config.calibration, regimeLookbackBars: 2 } })).toThrow(/regimeLookbackBars/);
  });
});
