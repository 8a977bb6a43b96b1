// One row per hyperparameter candidate a retrain tried (issue 18): what was tried, how it scored on the
// inner validation bars, where and how long it trained. Every trial is counted, so the winner can be deflated.
import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { retrainRuns } from "./retrain-runs.js";

export const retrainTrials = sqliteTable(
  "retrain_trials",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: integer("run_id")
      .notNull()
      .references(() => retrainRuns.id, { onDelete: "cascade" }),
    model: text("model").notNull(),
    /** The candidate's index in the run's search space (0-based). */
    candidate: integer("candidate").notNull(),
    /** Booster parameters as JSON (rounds, maxDepth, eta, minChildWeight, subsample). */
    params: text("params").notNull(),
    /** Inner-validation scores as JSON: direction {sharpe, auc, trades, bars}; regressions {rmse}. */
    scores: text("scores").notNull(),
    /** The per-model selection key: direction's validation Sharpe, a regression's RMSE. */
    score: real("score"),
    selected: integer("selected").notNull().default(0),
    host: text("host").notNull(),
    seconds: real("seconds").notNull(),
    tsMs: integer("ts_ms").notNull(),
  },
  (t) => [index("retrain_trials_run_idx").on(t.runId, t.model)],
);
