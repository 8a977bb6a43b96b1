import { integer, real, sqliteTable, text, index } from "drizzle-orm/sqlite-core";

export const calibrationRuns = sqliteTable(
  "calibration_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tsMs: integer("ts_ms").notNull(),
    tsIso: text("ts_iso").notNull(),
    jobId: text("job_id"),
    tradesAnalyzed: integer("trades_analyzed").notNull().default(0),
    emaSlippagePerSidePct: real("ema_slippage_per_side_pct"),
    positionSizeMultiplier: real("position_size_multiplier"),
    outputPath: text("output_path"),
    payload: text("payload"),
    success: integer("success").notNull().default(1),
    errorMsg: text("error_msg"),
  },
  (t) => [index("calibration_runs_ts_idx").on(t.tsMs)],
);
