// `mlq ab --status`: the active arm and why, plus the latest evaluations.
import { silentLogger, type Logger } from "@mlq/core";
import { requireTables, type Connection } from "@mlq/db";
import { ARM_A, activeFileFromState, readActiveState, reconcileActiveModelFile, type ArmLabel, type ReconcileOutcome } from "@mlq/registry";
import type { ActiveModelView } from "./run-ab-evaluation.js";

export interface AbRunRecord {
  readonly id: number;
  readonly tsIso: string;
  readonly jobId: string | null;
  readonly action: string;
  readonly dryRun: boolean;
  readonly splitMethod: string | null;
  readonly armATrades: number | null;
  readonly armBTrades: number | null;
  readonly armASharpe: number | null;
  readonly armBSharpe: number | null;
  readonly pBBetter: number | null;
  readonly swapRecommended: boolean;
  readonly swapExecuted: boolean;
  readonly decisionReason: string | null;
}

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

const RUN_COLUMNS = `id, ts_iso, job_id, action, dry_run, split_method, arm_a_trades, arm_b_trades, arm_a_sharpe, arm_b_sharpe,
  p_b_better, swap_recommended, swap_executed, decision_reason`;

/** Reconciles active_model.json with the DB first (as every run does), then reports. */
export function abStatus(conn: Connection, modelsDir: string, options: { last?: number; logger?: Logger } = {}): StatusSummary {
  requireTables(conn, ["ab_test_runs", "ab_active_model"]);
  const activeFile = reconcileActiveModelFile(conn, modelsDir, options.logger ?? silentLogger);
  const state = readActiveState(conn);
  const last = Math.max(0, Math.floor(options.last ?? 10));
  const rows = conn.sqlite.prepare(`SELECT ${RUN_COLUMNS} FROM ab_test_runs ORDER BY id DESC LIMIT ?`).all(last) as Record<string, unknown>[];
  const swapRow =
    state?.swapRunId == null ? undefined : (conn.sqlite.prepare(`SELECT ${RUN_COLUMNS} FROM ab_test_runs WHERE id = ?`).get(state.swapRunId) as Record<string, unknown> | undefined);
  const version = state === null ? null : activeFileFromState(state).version;
  const active: ActiveModelView = {
    arm: state?.activeArm ?? ARM_A,
    version,
    versionDir: state?.versionDir ?? null,
    manifestSha256: state?.manifestSha256 ?? null,
    swappedAt: state?.swappedAt ?? null,
    swapRunId: state?.swapRunId ?? null,
  };
  return {
    active,
    activeArm: active.arm,
    swapRun: swapRow ? toRecord(swapRow) : null,
    previous: state?.previousArm ? { arm: state.previousArm, versionDir: state.previousVersionDir, manifestSha256: state.previousManifestSha256 } : null,
    activeFile,
    lastEvaluations: rows.map(toRecord),
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

function toRecord(r: Record<string, unknown>): AbRunRecord {
  const num = (k: string) => (typeof r[k] === "number" ? (r[k] as number) : null);
  const str = (k: string) => (typeof r[k] === "string" ? (r[k] as string) : null);
  return {
    id: Number(r["id"]),
    tsIso: String(r["ts_iso"]),
    jobId: str("job_id"),
    action: String(r["action"]),
    dryRun: r["dry_run"] === 1,
    splitMethod: str("split_method"),
    armATrades: num("arm_a_trades"),
    armBTrades: num("arm_b_trades"),
    armASharpe: num("arm_a_sharpe"),
    armBSharpe: num("arm_b_sharpe"),
    pBBetter: num("p_b_better"),
    swapRecommended: r["swap_recommended"] === 1,
    swapExecuted: r["swap_executed"] === 1,
    decisionReason: str("decision_reason"),
  };
}
