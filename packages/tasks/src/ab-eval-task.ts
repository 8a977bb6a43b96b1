// The ab-eval queue's task: the configured database and models directory, the A/B policy from the config.
import type { Config } from "@mlq/config";
import { withMigrated, type Connection } from "@mlq/db";
import { runAbEvaluation, type AbAction, type AbDeps, type AbPolicy, type AbSummary } from "@mlq/ab";
import type { TaskIo } from "./task-io.js";

export interface AbEvalTaskPayload {
  readonly action: AbAction;
}

export function abPolicyFromConfig(config: Pick<Config, "ab">): AbPolicy {
  return {
    minTradesPerArm: config.ab.minTradesPerArm,
    alpha: config.ab.alpha,
    alphaBudget: config.ab.alphaBudget,
    challengerMaxDays: config.ab.challengerMaxDays,
    shadowWorseP: config.ab.shadowWorseP,
  };
}

/** The evaluation's dependencies for one run: what the config names, and the io's reporting and retry facts. */
export function abEvalDeps(config: Config, conn: Connection, io: TaskIo): AbDeps {
  return {
    conn,
    modelsDir: config.modelsDir,
    logger: io.logger,
    progress: io.progress,
    signal: io.signal,
    jobId: io.jobId ?? null,
    finalAttempt: io.finalAttempt,
  };
}

/** Runs one A/B evaluation (evaluate | dry-run | force-swap | rollback) on the configured database. */
export async function runAbEvalTask(config: Config, payload: AbEvalTaskPayload, io: TaskIo): Promise<AbSummary> {
  return withMigrated(config.dbPath, (conn) => runAbEvaluation(abEvalDeps(config, conn, io), { action: payload.action, policy: abPolicyFromConfig(config) }));
}
