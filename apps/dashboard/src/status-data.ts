// Gathers everything the status page and /api/status show from the SQLite database and
// `<modelsDir>/active_model.json`. Never throws for bad data: each problem becomes a line in
// `problems` and the rest of the report still renders.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { errorMessage } from "@mlq/core";
import { openDatabase, tableExists, type Connection } from "@mlq/db";
import { gateHistory, lastSuccessfulRetrainTsMs, listRetrainRuns, type GateLogEntry, type GatePoint, type GateSymbolEntry, type RetrainRunRecord } from "@mlq/ml";
import { armEquity, type ArmEquity, type ClosedTrade } from "./arm-equity.js";

export type { GatePoint };

/** A logged gate of a retrain run (regime_diversity with its symbols), and a run with its gates, as @mlq/ml's readers return them. */
export type GateResultView = GateLogEntry;
export type GateSymbolView = GateSymbolEntry;
export type RetrainRunView = RetrainRunRecord;

export interface ArmStats {
  label: string;
  trades: number | null;
  sharpe: number | null;
  expectancy: number | null;
  winRate: number | null;
  profitFactor: number | null;
}

export interface AbRunView {
  id: number;
  tsIso: string;
  jobId: string | null;
  splitMethod: string | null;
  a: ArmStats;
  b: ArmStats;
  pBBetter: number | null;
  swapRecommended: boolean;
  swapExecuted: boolean;
  dryRun: boolean;
  action: string | null;
  decisionReason: string | null;
}

export interface ActiveModelView {
  arm: string;
  swappedAt: string | null;
  swapRunId: number | null;
  versionDir: string | null;
  previousArm: string | null;
  lastSwap: { runId: number; tsIso: string; action: string | null; decisionReason: string | null; pBBetter: number | null } | null;
}

export type ActiveModelFileView =
  | { path: string; state: "ok"; content: unknown }
  | { path: string; state: "missing" }
  | { path: string; state: "unreadable"; error: string };

export interface CalibrationView {
  id: number;
  tsIso: string;
  tradesAnalyzed: number;
  emaSlippagePerSidePct: number | null;
  positionSizeMultiplier: number | null;
  success: boolean;
  errorMsg: string | null;
  outputPath: string | null;
  payload: unknown;
  payloadError: string | null;
}

export interface StatusReport {
  generatedAt: string;
  dbPath: string;
  problems: string[];
  active: ActiveModelView | null;
  activeModelFile: ActiveModelFileView;
  retrainRuns: RetrainRunView[];
  gateHistory: Record<string, GatePoint[]>;
  abRuns: AbRunView[];
  calibration: CalibrationView | null;
  equity: ArmEquity & { tradesA: number; tradesB: number };
}

export interface StatusOptions {
  dbPath: string;
  modelsDir: string;
  now?: () => number;
  retrainLimit?: number;
  abLimit?: number;
  gateHistoryLimit?: number;
  /** Equity curves use at most this many most recent closed trades; 0 skips paper_trades. */
  tradeLimit?: number;
}

type Row = Record<string, unknown>;
const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : typeof v === "bigint" ? Number(v) : null);
const strOrNull = (v: unknown): string | null => (typeof v === "string" ? v : v === null || v === undefined ? null : String(v));
const bool = (v: unknown): boolean => v === 1 || v === true || v === 1n;

export function parseJson(text: unknown): { value: unknown; error: string | null } {
  if (text === null || text === undefined || text === "") return { value: null, error: null };
  try {
    return { value: JSON.parse(String(text)) as unknown, error: null };
  } catch (err) {
    return { value: null, error: errorMessage(err) };
  }
}

export function readActiveModelFile(modelsDir: string): ActiveModelFileView {
  const path = join(modelsDir, "active_model.json");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return { path, state: "missing" };
    return { path, state: "unreadable", error: errorMessage(err) };
  }
  const parsed = parseJson(text);
  if (parsed.error !== null) return { path, state: "unreadable", error: parsed.error };
  if (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value))
    return { path, state: "unreadable", error: "expected a JSON object" };
  return { path, state: "ok", content: parsed.value };
}

function emptyReport(opts: StatusOptions, now: number): StatusReport {
  return {
    generatedAt: new Date(now).toISOString(),
    dbPath: opts.dbPath,
    problems: [],
    active: null,
    activeModelFile: readActiveModelFile(opts.modelsDir),
    retrainRuns: [],
    gateHistory: {},
    abRuns: [],
    calibration: null,
    equity: { method: "none", armA: [], armB: [], boundaryTsMs: null, tradesA: 0, tradesB: 0 },
  };
}

/** Runs one section; a failure is recorded as a problem instead of failing the page. */
function section(report: StatusReport, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    report.problems.push(`${what}: ${errorMessage(err)}`);
  }
}

function missingTables(conn: Connection, tables: readonly string[], report: StatusReport): boolean {
  const missing = tables.filter((t) => !tableExists(conn.sqlite, t));
  for (const t of missing) report.problems.push(`${t} table missing in ${conn.path}`);
  return missing.length > 0;
}

export function readStatus(opts: StatusOptions): StatusReport {
  const now = (opts.now ?? Date.now)();
  const report = emptyReport(opts, now);
  if (report.activeModelFile.state === "unreadable") report.problems.push(`active_model.json is unreadable: ${report.activeModelFile.error}`);
  let conn: Connection;
  try {
    conn = openDatabase(opts.dbPath, { readonly: true });
  } catch (err) {
    report.problems.push(errorMessage(err));
    return report;
  }
  try {
    // One read transaction gives every section the same snapshot and holds no write lock.
    conn.sqlite.transaction(() => fill(conn, report, opts))();
  } catch (err) {
    report.problems.push(`reading ${conn.path}: ${errorMessage(err)}`);
  } finally {
    conn.close();
  }
  return report;
}

function fill(conn: Connection, report: StatusReport, opts: StatusOptions): void {
  const db = conn.sqlite;
  const retrainLimit = opts.retrainLimit ?? 10;
  const abLimit = opts.abLimit ?? 6;
  const gateHistoryLimit = opts.gateHistoryLimit ?? 60;
  const tradeLimit = opts.tradeLimit ?? 20_000;

  section(report, "active model", () => {
    if (missingTables(conn, ["ab_active_model", "ab_test_runs"], report)) return;
    const row = db.prepare("SELECT * FROM ab_active_model WHERE id = 1").get() as Row | undefined;
    const swap = db.prepare("SELECT id, ts_iso, action, decision_reason, p_b_better FROM ab_test_runs WHERE swap_executed = 1 ORDER BY id DESC LIMIT 1").get() as Row | undefined;
    if (!row) return;
    report.active = {
      arm: String(row.active_arm),
      swappedAt: strOrNull(row.swapped_at),
      swapRunId: numOrNull(row.swap_run_id),
      versionDir: strOrNull(row.version_dir),
      previousArm: strOrNull(row.previous_arm),
      lastSwap: swap
        ? { runId: Number(swap.id), tsIso: String(swap.ts_iso), action: strOrNull(swap.action), decisionReason: strOrNull(swap.decision_reason), pBBetter: numOrNull(swap.p_b_better) }
        : null,
    };
  });

  section(report, "retrain runs", () => {
    if (missingTables(conn, ["phase2_retrain_runs", "phase2_gate_log"], report)) return;
    report.retrainRuns = listRetrainRuns(conn, { limit: retrainLimit });
    // Gate history: the most recent entries per gate, oldest first for charting.
    report.gateHistory = gateHistory(conn, { limit: gateHistoryLimit });
  });

  section(report, "A/B evaluations", () => {
    if (missingTables(conn, ["ab_test_runs"], report)) return;
    const rows = db.prepare("SELECT * FROM ab_test_runs ORDER BY id DESC LIMIT ?").all(abLimit) as Row[];
    const arm = (r: Row, k: "a" | "b"): ArmStats => ({
      label: String(r[`arm_${k}_label`]),
      trades: numOrNull(r[`arm_${k}_trades`]),
      sharpe: numOrNull(r[`arm_${k}_sharpe`]),
      expectancy: numOrNull(r[`arm_${k}_expectancy`]),
      winRate: numOrNull(r[`arm_${k}_win_rate`]),
      profitFactor: numOrNull(r[`arm_${k}_pf`]),
    });
    report.abRuns = rows.map((r) => ({
      id: Number(r.id),
      tsIso: String(r.ts_iso),
      jobId: strOrNull(r.job_id),
      splitMethod: strOrNull(r.split_method),
      a: arm(r, "a"),
      b: arm(r, "b"),
      pBBetter: numOrNull(r.p_b_better),
      swapRecommended: bool(r.swap_recommended),
      swapExecuted: bool(r.swap_executed),
      dryRun: bool(r.dry_run),
      action: strOrNull(r.action),
      decisionReason: strOrNull(r.decision_reason),
    }));
  });

  section(report, "calibration", () => {
    if (missingTables(conn, ["calibration_runs"], report)) return;
    const r = db.prepare("SELECT * FROM calibration_runs ORDER BY id DESC LIMIT 1").get() as Row | undefined;
    if (!r) return;
    const payload = parseJson(r.payload);
    if (payload.error !== null) report.problems.push(`calibration run ${String(r.id)} payload is not valid JSON: ${payload.error}`);
    report.calibration = {
      id: Number(r.id),
      tsIso: String(r.ts_iso),
      tradesAnalyzed: Number(r.trades_analyzed ?? 0),
      emaSlippagePerSidePct: numOrNull(r.ema_slippage_per_side_pct),
      positionSizeMultiplier: numOrNull(r.position_size_multiplier),
      success: r.success === undefined ? true : bool(r.success),
      errorMsg: strOrNull(r.error_msg),
      outputPath: strOrNull(r.output_path),
      payload: payload.value,
      payloadError: payload.error,
    };
  });

  if (tradeLimit === 0) return;
  section(report, "paper trades", () => {
    if (missingTables(conn, ["paper_trades"], report)) return;
    const rows = db
      .prepare(
        `SELECT closed_ts_ms, pnl_pct, model_arm FROM (
           SELECT id, closed_ts_ms, pnl_pct, model_arm FROM paper_trades
           WHERE status = 'closed' AND pnl_pct IS NOT NULL AND closed_ts_ms IS NOT NULL
           ORDER BY closed_ts_ms DESC, id DESC LIMIT ?
         ) ORDER BY closed_ts_ms, id`,
      )
      .all(tradeLimit) as Row[];
    const trades: ClosedTrade[] = rows.map((r) => ({ closedTsMs: Number(r.closed_ts_ms), pnlPct: Number(r.pnl_pct), modelArm: strOrNull(r.model_arm) }));
    const eq = armEquity(trades, lastSuccessfulRetrainTsMs(conn));
    report.equity = { ...eq, tradesA: eq.armA.length, tradesB: eq.armB.length };
  });
}
