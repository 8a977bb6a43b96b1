import { integer, real, sqliteTable, text, index } from "drizzle-orm/sqlite-core";

export const retrainRuns = sqliteTable(
  "phase2_retrain_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tsMs: integer("ts_ms").notNull(),
    tsIso: text("ts_iso").notNull(),
    jobId: text("job_id"),
    triggerReason: text("trigger_reason", { enum: ["scheduled", "force", "smoke", "dry-run", "drift"] }).notNull(),
    gatePass: integer("gate_pass"),
    gateDetails: text("gate_details"),
    paperDays: real("paper_days"),
    closedTrades: integer("closed_trades"),
    volPercentileLo: real("vol_percentile_lo"),
    volPercentileHi: real("vol_percentile_hi"),
    slippageMult: real("slippage_mult"),
    trainingRows: integer("training_rows"),
    modelsTrained: integer("models_trained"),
    modelDir: text("model_dir"),
    metrics: text("metrics"),
    success: integer("success").notNull().default(0),
    errorMsg: text("error_msg"),
    durationSec: real("duration_sec"),
    embargoHours: real("embargo_hours"),
    status: text("status", { enum: ["running", "done", "failed"] }).notNull().default("running"),
  },
  (t) => [index("phase2_retrain_runs_ts_idx").on(t.tsMs)],
);
