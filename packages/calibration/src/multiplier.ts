import { clamp, ConfigError } from "@mlq/core";

export const NEUTRAL_BAND = { lo: 0.8, hi: 1.2 } as const;
export const MULTIPLIER_RANGE = { min: 0.5, max: 1.2 } as const;

/** actual / assumed; NaN when there is no measurement. */
export function slippageRatio(actualPct: number, assumedPct: number): number {
  if (!(assumedPct > 0) || !Number.isFinite(assumedPct)) {
    throw new ConfigError(`assumed slippage per side must be a positive number, got ${assumedPct}`);
  }
  return actualPct / assumedPct;
}

/**
 * Position-size multiplier from measured vs assumed slippage per side: 1.0 while the ratio
 * is within [0.8, 1.2]; otherwise 1/ratio clamped to [0.5, 1.2]; 1.2 when fills beat the
 * signal on average (ratio ≤ 0). No measurement (NaN) keeps the size at 1.0.
 */
export function sizeMultiplier(actualPct: number, assumedPct: number): number {
  const r = slippageRatio(actualPct, assumedPct);
  if (Number.isNaN(r)) return 1;
  if (r <= 0) return MULTIPLIER_RANGE.max;
  if (r >= NEUTRAL_BAND.lo && r <= NEUTRAL_BAND.hi) return 1;
  return clamp(1 / r, MULTIPLIER_RANGE.min, MULTIPLIER_RANGE.max);
}
