// The monitor queue's task: the configured database and models directory, the detector's
// settings (monitor.*) and the A/B policy its rollback run is recorded under, then the drift step
// (drift.*). Each step runs whatever the other did: a failing step never stops the other.
import type { Config } from "@mlq/config";
import { errorMessage } from "@mlq/core";
import { withMigrated } from "@mlq/db";
import { runMonitor, type MonitorPolicy, type MonitorSummary } from "@mlq/ab";
import { abEvalDeps, abPolicyFromConfig } from "./ab-eval-task.js";
import { runDriftStep, type DriftStepSummary, type EnqueueDriftRetrain } from "./drift-step.js";
import type { TaskIo } from "./task-io.js";

export interface MonitorTaskPayload {
  /** Who asked; the run itself does not use it. */
  readonly requestedBy?: string | undefined;
}

export interface MonitorTaskOptions {
  /** How a drift retrain is enqueued (the worker's retrain queue); absent for --local runs. */
  readonly enqueueRetrain?: EnqueueDriftRetrain | undefined;
  /** Clock (tests). */
  readonly nowMs?: number | undefined;
}

/** The monitor job's summary: the decay detector's, plus the drift step's (or why it failed). */
export type MonitorTaskSummary = MonitorSummary & {
  readonly drift: DriftStepSummary | { readonly status: "failed"; readonly error: string };
};

export function monitorPolicyFromConfig(config: Pick<Config, "ab" | "monitor">): MonitorPolicy {
  return {
    referenceSharpe: config.monitor.referenceSharpe,
    decaySharpe: config.monitor.decaySharpe,
    tradesPerDay: config.monitor.tradesPerDay,
    maxFalseAlarmsPerYear: config.monitor.maxFalseAlarmsPerYear,
    rollback: config.monitor.rollback,
    ab: abPolicyFromConfig(config),
  };
}

/**
 * Watches the configured champion once (rolls it back on a decay alarm, see @mlq/ab runMonitor), then
 * checks feature drift (runDriftStep) — after the rollback, so drift is scored for the champion in
 * place. A failed drift step is logged and reported in the summary; a failed decay step is rethrown
 * after the drift step ran (the job fails and retries as before).
 */
export async function runMonitorTask(
  config: Config,
  _payload: MonitorTaskPayload,
  io: TaskIo,
  options: MonitorTaskOptions = {},
): Promise<MonitorTaskSummary> {
  return withMigrated(config.dbPath, async (conn) => {
    // One set of dependencies (database, models dir, logger, progress, signal, job id) for both steps.
    const deps = abEvalDeps(config, conn, io);
    let decay: MonitorSummary | undefined;
    let decayError: unknown;
    try {
      decay = runMonitor(
        { ...abEvalDeps(config, conn, io), ...(options.nowMs !== undefined ? { nowMs: options.nowMs } : {}) },
        monitorPolicyFromConfig(config),
      );
    } catch (err) {
      decayError = err;
      io.logger.error("monitor: the decay step failed; the drift step still runs", { error: errorMessage(err) });
    }
    let drift: MonitorTaskSummary["drift"];
    try {
      drift = await runDriftStep(
        { ...deps, nowMs: options.nowMs, enqueueRetrain: options.enqueueRetrain },
        { retrain: config.drift.retrain, cooldownHours: config.drift.cooldownHours },
      );
    } catch (err) {
      if (io.signal?.aborted) throw err;
      io.logger.error("monitor: the drift step failed", { error: errorMessage(err) });
      drift = { status: "failed", error: errorMessage(err) };
    }
    if (decay === undefined) throw decayError;
    io.progress({ stage: "done", pct: 100 });
    return { ...decay, drift };
  });
}
