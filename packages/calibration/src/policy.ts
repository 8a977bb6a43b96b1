import { z } from "zod";
import { ConfigError } from "@mlq/core";

export const CalibrationPolicySchema = z.object({
  emaSpan: z.number().int().min(1),
  recentTrades: z.number().int().min(0),
  recentBoost: z.number().min(1),
  alphaCap: z.number().gt(0).max(1),
  minBucketTrades: z.number().int().min(1),
  regimeLookbackBars: z.number().int().min(3),
  volatilePercentile: z.number().min(0).max(100),
  trendingEfficiency: z.number().min(0).max(1),
  /** Assumed slippage per side (%) before the multiplier, e.g. 0.03. */
  basePerSidePct: z.number().gt(0),
  /** The backtest's safety factor on slippage; assumed = basePerSidePct × slippageMult. */
  slippageMult: z.number().gt(0),
});
export type CalibrationPolicy = z.infer<typeof CalibrationPolicySchema>;

export const DEFAULT_CALIBRATION_POLICY: CalibrationPolicy = Object.freeze({
  emaSpan: 100,
  recentTrades: 50,
  recentBoost: 3,
  alphaCap: 0.5,
  minBucketTrades: 20,
  regimeLookbackBars: 60,
  volatilePercentile: 80,
  trendingEfficiency: 0.3,
  basePerSidePct: 0.03,
  slippageMult: 2.0,
});

/** The slices of mlq's Config this package reads (structural, so no dependency on @mlq/config). */
export interface CalibrationConfigSlice {
  calibration: Pick<
    CalibrationPolicy,
    "emaSpan" | "recentTrades" | "recentBoost" | "alphaCap" | "minBucketTrades" | "regimeLookbackBars" | "volatilePercentile" | "trendingEfficiency"
  >;
  costs: { baseSlippagePerSidePct: number };
}

/** Policy from `config.calibration` + `config.costs`; `slippageMult` is the run's input (default 2.0). */
export function calibrationPolicyFromConfig(config: CalibrationConfigSlice, slippageMult = DEFAULT_CALIBRATION_POLICY.slippageMult): CalibrationPolicy {
  const c = config.calibration;
  return validatePolicy({
    emaSpan: c.emaSpan,
    recentTrades: c.recentTrades,
    recentBoost: c.recentBoost,
    alphaCap: c.alphaCap,
    minBucketTrades: c.minBucketTrades,
    regimeLookbackBars: c.regimeLookbackBars,
    volatilePercentile: c.volatilePercentile,
    trendingEfficiency: c.trendingEfficiency,
    basePerSidePct: config.costs.baseSlippagePerSidePct,
    slippageMult,
  });
}

/** Throws one ConfigError listing every invalid policy field. */
export function validatePolicy(policy: CalibrationPolicy): CalibrationPolicy {
  const parsed = CalibrationPolicySchema.safeParse(policy);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ConfigError(`invalid calibration policy: ${problems}`);
  }
  return parsed.data;
}
