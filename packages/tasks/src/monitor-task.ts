// The monitor queue's task: the configured database and models directory, the detector's
// settings (monitor.*) and the A/B policy its rollback run is recorded under.
import type { Config } from "@mlq/config";
import { withMigrated } from "@mlq/db";
import { runMonitor, type MonitorPolicy, type MonitorSummary } from "@mlq/ab";
import { abEvalDeps, abPolicyFromConfig } from "./ab-eval-task.js";
import type { TaskIo } from "./task-io.js";

export interface MonitorTaskPayload {
  /** Who asked; the run itself does not use it. */
  readonly requestedBy?: string | undefined;
}

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

/** Watches the configured champion once; rolls it back on a decay alarm (see @mlq/ab runMonitor). */
export async function runMonitorTask(config: Config, _payload: MonitorTaskPayload, io: TaskIo): Promise<MonitorSummary> {
  return withMigrated(config.dbPath, (conn) => runMonitor(abEvalDeps(config, conn, io), monitorPolicyFromConfig(config)));
}
