// Round-trip trading cost used by the direction label. slippage_mult starts at the backtest's
// 2.0 and moves toward measured reality only once calibration has seen enough trades.
import { clamp, ConfigError } from "@mlq/core";

export interface CalibrationEvidence {
  tradesAnalyzed: number;
  emaSlippagePerSidePct: number | null;
}

export interface SlippageMultOptions {
  latestCalibration: CalibrationEvidence | null;
  basePerSidePct: number;
  /** Default 1.5. */
  min?: number;
  /** Default 2.0 (the backtest assumption). */
  max?: number;
  /** Default 200. */
  minTrades?: number;
}

export interface SlippageMult {
  mult: number;
  reason: string;
}

export function slippageMult(options: SlippageMultOptions): SlippageMult {
  const { latestCalibration: cal, basePerSidePct, min = 1.5, max = 2.0, minTrades = 200 } = options;
  if (!(basePerSidePct > 0)) throw new ConfigError(`basePerSidePct must be > 0, got ${basePerSidePct}`);
  if (!(min > 0 && min <= max)) throw new ConfigError(`slippage_mult bounds must satisfy 0 < min ≤ max, got [${min}, ${max}]`);
  if (cal === null) return { mult: max, reason: `no calibration run yet: backtest assumption ${max}` };
  if (cal.tradesAnalyzed < minTrades)
    return { mult: max, reason: `latest calibration covers ${cal.tradesAnalyzed} trades (< ${minTrades}): backtest assumption ${max}` };
  const ema = cal.emaSlippagePerSidePct;
  if (ema === null || !Number.isFinite(ema))
    return { mult: max, reason: `latest calibration has no EMA slippage: backtest assumption ${max}` };
  const ratio = ema / basePerSidePct;
  const mult = clamp(ratio, min, max);
  return {
    mult,
    reason: `EMA slippage ${ema}% / base ${basePerSidePct}% = ${ratio.toFixed(3)} over ${cal.tradesAnalyzed} trades, clamped to [${min}, ${max}]`,
  };
}

export interface RoundTripCostOptions {
  feePctRoundTrip: number;
  basePerSidePct: number;
  slippageMult: number;
}

/** (fees % + base slippage % × 2 sides × mult) / 100, as a fraction of notional. */
export function roundTripCost(options: RoundTripCostOptions): number {
  const { feePctRoundTrip, basePerSidePct, slippageMult: mult } = options;
  for (const [name, v] of [
    ["feePctRoundTrip", feePctRoundTrip],
    ["basePerSidePct", basePerSidePct],
    ["slippageMult", mult],
  ] as const)
    if (!(v >= 0 && Number.isFinite(v))) throw new ConfigError(`${name} must be a finite number ≥ 0, got ${v}`);
  return (feePctRoundTrip + basePerSidePct * 2 * mult) / 100;
}
