import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The role history of model versions (SPEC §6): one row per change of a role — register, take
 * the evaluation slot, skip, promote, forced swap, reject, expire, rollback, pin, unpin, seed —
 * written in the same transaction as the change. Current roles are a replay of these rows.
 */
export const modelRoleEvents = sqliteTable(
  "model_role_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tsMs: integer("ts_ms").notNull(),
    tsIso: text("ts_iso").notNull(),
    event: text("event").notNull(),
    /** The version the event is about. */
    version: text("version").notNull(),
    /** The role the version holds after the event (candidate, challenger, champion, …, or none). */
    role: text("role").notNull(),
    /** The version it replaced, where one was (the old champion on a promotion, the decayed one on a rollback). */
    previousVersion: text("previous_version"),
    /** The retrain run (register) or A/B run (promote, reject, expire, rollback) behind the event. */
    runId: integer("run_id"),
    /** What asked for it: scheduled, force, drift, ab, monitor, operator, migration. */
    trigger: text("trigger"),
    reason: text("reason"),
    /** α_k granted to a challenger when it takes the slot. */
    alpha: real("alpha"),
    details: text("details"),
  },
  (t) => [index("model_role_events_version_idx").on(t.version)],
);
