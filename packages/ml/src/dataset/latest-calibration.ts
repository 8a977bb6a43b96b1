import { tableExists, type Sqlite } from "@mlq/db";

export interface LatestCalibration {
  id: number;
  tsMs: number;
  tradesAnalyzed: number;
  emaSlippagePerSidePct: number | null;
}

/** The newest successful `calibration_runs` row, or null when there is none (or no table yet). */
export function latestCalibration(sqlite: Sqlite): LatestCalibration | null {
  if (!tableExists(sqlite, "calibration_runs")) return null;
  const row = sqlite
    .prepare(
      `SELECT id, ts_ms AS tsMs, trades_analyzed AS tradesAnalyzed, ema_slippage_per_side_pct AS emaSlippagePerSidePct
       FROM calibration_runs WHERE success = 1 ORDER BY ts_ms DESC, id DESC LIMIT 1`,
    )
    .get() as LatestCalibration | undefined;
  return row ?? null;
}
