// `mlq ab --status`: the active arm and why, plus the latest evaluations.
import { silentLogger, type Logger } from "@mlq/core";
import { requireTables, type Connection } from "@mlq/db";
import { readActiveState, reconcileActiveModelFile, type ArmLabel, type ReconcileOutcome } from "@mlq/registry";
import { getAbRun, listAbRuns, type AbRunRecord } from "./ab-runs.js";
import { activeModelView, type ActiveModelView } from "./run-ab-evaluation.js";

export interface StatusSummary {
  readonly active: ActiveModelView;
  readonly activeArm: ArmLabel;
  /** The run that made the active model active (null before the first swap). */
  readonly swapRun: AbRunRecord | null;
  readonly previous: { readonly arm: ArmLabel; readonly versionDir: string | null; readonly manifestSha256: string | null } | null;
  readonly activeFile: ReconcileOutcome;
  /** Newest first. */
  readonly lastEvaluations: AbRunRecord[];
}

/** Reconciles active_model.json with the DB first (as every run does), then reports. */
export function abStatus(conn: Connection, modelsDir: string, options: { last?: number; logger?: Logger } = {}): StatusSummary {
  requireTables(conn, ["ab_test_runs", "ab_active_model"]);
  const activeFile = reconcileActiveModelFile(conn, modelsDir, options.logger ?? silentLogger);
  const state = readActiveState(conn);
  const lastEvaluations = listAbRuns(conn, { limit: options.last ?? 10 });
  const swapRun = state?.swapRunId == null ? null : getAbRun(conn, state.swapRunId);
  const active = activeModelView(state);
  return {
    active,
    activeArm: active.arm,
    swapRun,
    previous: state?.previousArm ? { arm: state.previousArm, versionDir: state.previousVersionDir, manifestSha256: state.previousManifestSha256 } : null,
    activeFile,
    lastEvaluations,
  };
}

/** Human-readable status lines for the CLI. */
export function formatStatus(status: StatusSummary): string {
  const a = status.active;
  const lines = [
    `active arm: ${a.arm}${a.version ? ` (version ${a.version})` : ""}`,
    a.swappedAt ? `swapped at ${a.swappedAt} by run ${a.swapRunId ?? "?"}${status.swapRun ? ` (${status.swapRun.action}): ${status.swapRun.decisionReason ?? ""}` : ""}` : "never swapped (default arm)",
  ];
  if (status.previous) lines.push(`previous: ${status.previous.arm}${status.previous.versionDir ? ` (${status.previous.versionDir})` : ""}`);
  if (status.activeFile === "rewritten") lines.push("active_model.json was out of date and has been rewritten from the database");
  lines.push(`last ${status.lastEvaluations.length} evaluations:`);
  for (const r of status.lastEvaluations)
    lines.push(`  #${r.id} ${r.tsIso} ${r.action}${r.dryRun ? " (dry run)" : ""}${r.swapExecuted ? " SWAPPED" : ""}: ${r.decisionReason ?? ""}`);
  return lines.join("\n");
}
