import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One paired shadow evaluation (SPEC §6): champion (A) and challenger (B) scored on the same closed
 * bars after both versions' trained_through_ms + embargo, compared with paired Sharpe tests. Written
 * by the ab-eval job's shadow step (with the A/B run it fed, `ab_run_id`) and by `mlq ab --shadow`.
 */
export const shadowEvalRuns = sqliteTable(
  "shadow_eval_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tsMs: integer("ts_ms").notNull(),
    tsIso: text("ts_iso").notNull(),
    abRunId: integer("ab_run_id"),
    jobId: text("job_id"),
    versionA: text("version_a").notNull(),
    versionB: text("version_b").notNull(),
    /** ok | insufficient (no evidence yet: too few bars, no trained_through_ms) | failed (bad input). */
    status: text("status", { enum: ["ok", "insufficient", "failed"] }).notNull(),
    reason: text("reason"),
    windowStartMs: integer("window_start_ms"),
    windowEndMs: integer("window_end_ms"),
    bars: integer("bars"),
    symbols: text("symbols"),
    sharpeA: real("sharpe_a"),
    sharpeB: real("sharpe_b"),
    difference: real("difference"),
    correlation: real("correlation"),
    /** Jobson–Korkie–Memmel z (i.i.d.). */
    jkmZ: real("jkm_z"),
    /** HAC-studentized JKM z: the sequential statistic under MLQ_AB_EVIDENCE=shadow. */
    hacZ: real("hac_z"),
    /** Studentized circular block bootstrap one-sided p-values. */
    pBetter: real("p_better"),
    pWorse: real("p_worse"),
    tradesA: integer("trades_a"),
    tradesB: integer("trades_b"),
    costPerSide: real("cost_per_side"),
    /** JSON: method settings, per-symbol bar counts, thresholds and both (downsampled) equity curves. */
    details: text("details"),
  },
  (t) => [index("shadow_eval_runs_ts_idx").on(t.tsMs), index("shadow_eval_runs_versions_idx").on(t.versionA, t.versionB)],
);
