// The slippage_mult the live models were trained with, read from phase2_retrain_runs (ml's table).
import type { Sqlite } from "@mlq/db";

/** slippage_mult of the newest retrain that recorded one; `fallback` (the backtest 2.0) before any. */
export function currentSlippageMult(sqlite: Sqlite, fallback: number): number {
  const exists = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='phase2_retrain_runs'").get();
  if (!exists) return fallback;
  const row = sqlite
    .prepare("SELECT slippage_mult AS m FROM phase2_retrain_runs WHERE slippage_mult IS NOT NULL AND success = 1 ORDER BY id DESC LIMIT 1")
    .get() as { m: number } | undefined;
  return row && Number.isFinite(row.m) && row.m > 0 ? row.m : fallback;
}
