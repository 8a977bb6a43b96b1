// Gathers everything the status page and /api/status show from the SQLite database and
// `<modelsDir>/active_model.json`. Never throws for bad data: each problem becomes a line in
// `problems` and the rest of the report still renders.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { errorMessage } from "@mlq/core";
import { openDatabase, tableExists, type Connection } from "@mlq/db";
import { armEquity, type ArmEquity, type ClosedTrade } from "./arm-equity.js";

export interface GateResultView {
  name: string;
  passed: boolean;
  value: number | null;
  threshold: number | null;
  details: string | null;
  /** regime_diversity per symbol, from the run row's `gate_details` JSON (absent for older runs). */
  symbols?: GateSymbolView[];
}

/** One symbol of the regime gate: its paper-period daily vol range vs its own history's band. */
export interface GateSymbolView {
  symbol: string;
  paperMin: number | null;
  paperMax: number | null;
  historyLo: number | null;
  historyHi: number | null;
  paperDays: number | null;
  historyDays: number | null;
  counted: boolean;
  passed: boolean;
}

export interface RetrainRunView {
  id: number;
  tsMs: number;
  tsIso: string;
  jobId: string | null;
  triggerReason: string;
  status: string | null;
  success: boolean;
  gatePass: boolean | null;
  gates: GateResultView[];
  trainingRows: number | null;
  modelsTrained: number | null;
  modelDir: string | null;
  slippageMult: number | null;
  embargoHours: number | null;
  durationSec: number | null;
  errorMsg: string | null;
  /** Parsed `metrics` JSON (per model), or null; unparsable JSON is reported in `metricsError`. */
  metrics: unknown;
  metricsError: string | null;
}

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

export interface GatePoint {
  tsMs: number;
  runId: number | null;
  passed: boolean;
  value: number | null;
  threshold: number | null;
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

/** The per-symbol entries of gate `name` in a run's `gate_details` JSON (GateResult[]), or undefined. */
export function gateSymbols(gateDetails: unknown, name: string): GateSymbolView[] | undefined {
  if (!Array.isArray(gateDetails)) return undefined;
  const gate: unknown = gateDetails.find((g: unknown) => typeof g === "object" && g !== null && (g as Row).name === name);
  const symbols = gate && (gate as Row).symbols;
  if (!Array.isArray(symbols)) return undefined;
  return symbols
    .filter((s: unknown): s is Row => typeof s === "object" && s !== null && typeof (s as Row).symbol === "string")
    .map((s) => ({
      symbol: String(s.symbol),
      paperMin: numOrNull(s.paperMin),
      paperMax: numOrNull(s.paperMax),
      historyLo: numOrNull(s.historyLo),
      historyHi: numOrNull(s.historyHi),
      paperDays: numOrNull(s.paperDays),
      historyDays: numOrNull(s.historyDays),
      counted: s.counted === true,
      passed: s.passed === true,
    }));
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
    const runs = db.prepare("SELECT * FROM phase2_retrain_runs ORDER BY id DESC LIMIT ?").all(retrainLimit) as Row[];
    const gatesOf = db.prepare("SELECT gate_name, passed, value, threshold, details FROM phase2_gate_log WHERE run_id = ? ORDER BY id");
    report.retrainRuns = runs.map((r) => {
      const metrics = parseJson(r.metrics);
      const gateDetails = parseJson(r.gate_details).value;
      return {
        id: Number(r.id),
        tsMs: Number(r.ts_ms),
        tsIso: String(r.ts_iso),
        jobId: strOrNull(r.job_id),
        triggerReason: String(r.trigger_reason),
        status: strOrNull(r.status),
        success: bool(r.success),
        gatePass: r.gate_pass === null || r.gate_pass === undefined ? null : bool(r.gate_pass),
        gates: (gatesOf.all(r.id) as Row[]).map((g) => {
          const name = String(g.gate_name);
          const symbols = gateSymbols(gateDetails, name);
          return {
            name,
            passed: bool(g.passed),
            value: numOrNull(g.value),
            threshold: numOrNull(g.threshold),
            details: strOrNull(g.details),
            ...(symbols && { symbols }),
          };
        }),
        trainingRows: numOrNull(r.training_rows),
        modelsTrained: numOrNull(r.models_trained),
        modelDir: strOrNull(r.model_dir),
        slippageMult: numOrNull(r.slippage_mult),
        embargoHours: numOrNull(r.embargo_hours),
        durationSec: numOrNull(r.duration_sec),
        errorMsg: strOrNull(r.error_msg),
        metrics: metrics.value,
        metricsError: metrics.error,
      };
    });
    // Gate history: the most recent entries per gate, oldest first for charting.
    const history = db
      .prepare(
        `SELECT gate_name, ts_ms, run_id, passed, value, threshold FROM (
           SELECT g.*, ROW_NUMBER() OVER (PARTITION BY gate_name ORDER BY ts_ms DESC, id DESC) AS rn FROM phase2_gate_log g
         ) WHERE rn <= ? ORDER BY gate_name, ts_ms, rn DESC`,
      )
      .all(gateHistoryLimit) as Row[];
    const byGate: Record<string, GatePoint[]> = {};
    for (const h of history)
      (byGate[String(h.gate_name)] ??= []).push({
        tsMs: Number(h.ts_ms),
        runId: numOrNull(h.run_id),
        passed: bool(h.passed),
        value: numOrNull(h.value),
        threshold: numOrNull(h.threshold),
      });
    report.gateHistory = byGate;
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
    let lastRetrain: number | null = null;
    if (tableExists(db, "phase2_retrain_runs")) {
      const row = db.prepare("SELECT MAX(ts_ms) AS ts FROM phase2_retrain_runs WHERE success = 1 AND models_trained > 0").get() as Row | undefined;
      lastRetrain = numOrNull(row?.ts);
    }
    const eq = armEquity(trades, lastRetrain);
    report.equity = { ...eq, tradesA: eq.armA.length, tradesB: eq.armB.length };
  });
}
