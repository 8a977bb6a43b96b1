import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One row per hourly drift check of the monitor (issue 17): the versions scored, the window, whether
 * the champion's rule fired and what was done about it (a `drift` retrain enqueued, or why not).
 * The cooldown of drift retrains counts from the last row with action 'enqueued'.
 */
export const driftChecks = sqliteTable(
  "drift_checks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tsMs: integer("ts_ms").notNull(),
    tsIso: text("ts_iso").notNull(),
    jobId: text("job_id"),
    champion: text("champion"),
    challenger: text("challenger"),
    windowFromMs: integer("window_from_ms"),
    windowToMs: integer("window_to_ms"),
    /** scored | no baseline | no champion */
    status: text("status").notNull(),
    /** The champion's rule fired (≥ k features of one symbol over their thresholds). */
    triggered: integer("triggered").notNull().default(0),
    /** enqueued | deduplicated | cooldown | disabled | none | not-enqueued | enqueue-failed */
    action: text("action").notNull(),
    retrainJobId: text("retrain_job_id"),
    reason: text("reason").notNull(),
    details: text("details"),
  },
  (t) => [index("drift_checks_ts_idx").on(t.tsMs), index("drift_checks_action_ts_idx").on(t.action, t.tsMs)],
);

/** PSI per version, symbol and feature of each drift check (feature `p_direction`: the direction model's probabilities). */
export const featureDrift = sqliteTable(
  "feature_drift",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    checkId: integer("check_id")
      .notNull()
      .references(() => driftChecks.id),
    tsMs: integer("ts_ms").notNull(),
    version: text("version").notNull(),
    /** champion | challenger */
    role: text("role").notNull(),
    symbol: text("symbol").notNull(),
    feature: text("feature").notNull(),
    psi: real("psi").notNull(),
    /** The feature's calibrated threshold; null without a baseline (and for p_direction). */
    threshold: real("threshold"),
    over: integer("over").notNull().default(0),
    windowFromMs: integer("window_from_ms").notNull(),
    windowToMs: integer("window_to_ms").notNull(),
    windowHours: real("window_hours").notNull(),
    bars: integer("bars").notNull(),
  },
  (t) => [index("feature_drift_check_idx").on(t.checkId), index("feature_drift_version_ts_idx").on(t.version, t.tsMs)],
);
