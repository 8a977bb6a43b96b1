import { integer, real, sqliteTable, text, index } from "drizzle-orm/sqlite-core";
import { retrainRuns } from "./retrain-runs.js";

export const gateLog = sqliteTable(
  "phase2_gate_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: integer("run_id").references(() => retrainRuns.id, { onDelete: "cascade" }),
    tsMs: integer("ts_ms").notNull(),
    tsIso: text("ts_iso").notNull(),
    gateName: text("gate_name").notNull(),
    passed: integer("passed").notNull(),
    value: real("value"),
    threshold: real("threshold"),
    details: text("details"),
  },
  (t) => [index("phase2_gate_log_run_idx").on(t.runId)],
);
