// `execution_calibration.json`: the file the bot and its backtester read. Version 2 keeps
// the v1 field `avg_slippage_per_side_pct` (same value as the EMA) for older readers.
import { z } from "zod";
import { isoUtc } from "@mlq/core";
import type { BucketStats, CalibrationReport } from "./calibrate.js";
import { REGIMES } from "./regime.js";
import { TIME_OF_DAY_BUCKETS } from "./slippage.js";

const count = z.number().int().min(0);
const finite = z.number();

export const BucketStatsFileSchema = z.object({
  trades: count,
  sides: count,
  ema_slippage_per_side_pct: finite.nullable(),
  mean_slippage_per_side_pct: finite.nullable(),
  slippage_ratio: finite.nullable(),
  position_size_multiplier: finite.positive(),
  inherited: z.boolean(),
});
export type BucketStatsFile = z.infer<typeof BucketStatsFileSchema>;

export const CalibrationFileSchema = z.object({
  version: z.literal(2),
  generated_at: z.iso.datetime(),
  trades_analyzed: count,
  /** With no trades: the assumed slippage (placeholder: true), so ratio-based readers see 1.0. */
  ema_slippage_per_side_pct: finite,
  /** v1 alias of ema_slippage_per_side_pct. */
  avg_slippage_per_side_pct: finite,
  mean_slippage_per_side_pct: finite.nullable(),
  assumed_slippage_per_side_pct: finite.positive(),
  base_slippage_per_side_pct: finite.positive(),
  slippage_mult: finite.positive(),
  slippage_ratio: finite.nullable(),
  position_size_multiplier: finite.positive(),
  placeholder: z.boolean(),
  time_of_day: z.record(z.enum(TIME_OF_DAY_BUCKETS), BucketStatsFileSchema),
  regime_slippage: z.record(z.enum(REGIMES), BucketStatsFileSchema),
  regime_method: z.object({ candles: count, pnl_proxy: count, unclassified: count }),
  skipped: z.object({
    null_signal: count,
    zero_signal: count,
    invalid_price: count,
    missing_fill: count,
    invalid_side: count,
    invalid_timestamp: count,
    closed_before_open: count,
    no_usable_side: count,
  }),
  first_closed_ts_ms: z.number().int().nullable(),
  last_closed_ts_ms: z.number().int().nullable(),
  recommendations: z.array(z.string()),
});
export type CalibrationFile = z.infer<typeof CalibrationFileSchema>;

function bucketToFile(b: BucketStats): BucketStatsFile {
  return {
    trades: b.trades,
    sides: b.sides,
    ema_slippage_per_side_pct: b.emaSlippagePerSidePct,
    mean_slippage_per_side_pct: b.meanSlippagePerSidePct,
    slippage_ratio: b.slippageRatio,
    position_size_multiplier: b.positionSizeMultiplier,
    inherited: b.inherited,
  };
}

/** The file's content for a report; validated, so a NaN can never reach a reader. */
export function toCalibrationFile(report: CalibrationReport, generatedAtMs: number): CalibrationFile {
  const ema = report.emaSlippagePerSidePct ?? report.assumedSlippagePerSidePct;
  const file: CalibrationFile = {
    version: 2,
    generated_at: isoUtc(generatedAtMs),
    trades_analyzed: report.tradesAnalyzed,
    ema_slippage_per_side_pct: ema,
    avg_slippage_per_side_pct: ema,
    mean_slippage_per_side_pct: report.meanSlippagePerSidePct,
    assumed_slippage_per_side_pct: report.assumedSlippagePerSidePct,
    base_slippage_per_side_pct: report.basePerSidePct,
    slippage_mult: report.slippageMult,
    slippage_ratio: report.slippageRatio,
    position_size_multiplier: report.positionSizeMultiplier,
    placeholder: report.emaSlippagePerSidePct === null,
    time_of_day: Object.fromEntries(TIME_OF_DAY_BUCKETS.map((b) => [b, bucketToFile(report.timeOfDay[b])])) as CalibrationFile["time_of_day"],
    regime_slippage: Object.fromEntries(REGIMES.map((r) => [r, bucketToFile(report.regimes[r])])) as CalibrationFile["regime_slippage"],
    regime_method: { ...report.regimeMethod },
    skipped: { ...report.skipped },
    first_closed_ts_ms: report.firstClosedTsMs,
    last_closed_ts_ms: report.lastClosedTsMs,
    recommendations: [...report.recommendations],
  };
  return CalibrationFileSchema.parse(file);
}
