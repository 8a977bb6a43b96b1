// Gathers everything the status page and /api/status show from the SQLite database and
// `<modelsDir>/active_model.json`. Never throws for bad data: each problem becomes a line in
// `problems` and the rest of the report still renders.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { errorMessage } from "@mlq/core";
import { activeModelView, armEquityCurves, DEFAULT_AB_POLICY, getAbRun, listAbRuns, type AbPolicy, type AbRunRecord, type ActiveModelView, type AttributionMethod } from "@mlq/ab";
import { latestCalibrationRun, type CalibrationRunRecord } from "@mlq/calibration";
import { openDatabase, tableExists, type Connection } from "@mlq/db";
import { gateHistory, listRetrainRuns, type GateLogEntry, type GatePoint, type GateSymbolEntry, type RetrainRunRecord } from "@mlq/ml";
import { readActiveState, type ArmLabel } from "@mlq/registry";

export type { GatePoint };

/** A logged gate of a retrain run (regime_diversity with its symbols), and a run with its gates, as @mlq/ml's readers return them. */
export type GateResultView = GateLogEntry;
export type GateSymbolView = GateSymbolEntry;
export type RetrainRunView = RetrainRunRecord;

/** The live arm (the `ab_active_model` row) and the A/B run that made it live. */
export interface ActiveArmView extends ActiveModelView {
  previousArm: ArmLabel | null;
  /** The run named by `swap_run_id`; null when there is none. */
  swapRun: AbRunRecord | null;
}

export type ActiveModelFileView =
  | { path: string; state: "ok"; content: unknown }
  | { path: string; state: "missing" }
  | { path: string; state: "unreadable"; error: string };

/** Each arm's equity curve, attributed exactly as the A/B decision attributes the trades (@mlq/ab). */
export interface EquityView {
  /** "none" when paper_trades was not read (tradeLimit 0, a problem that is listed, or no evaluation in progress). */
  method: AttributionMethod | "none";
  champion: string | null;
  challenger: string | null;
  tradesA: number;
  tradesB: number;
  /** [trade number within the arm, cumulative pnl_pct] for the arm's most recent trades. */
  armA: [number, number][];
  armB: [number, number][];
}

export interface StatusReport {
  generatedAt: string;
  dbPath: string;
  problems: string[];
  active: ActiveArmView | null;
  activeModelFile: ActiveModelFileView;
  retrainRuns: RetrainRunView[];
  gateHistory: Record<string, GatePoint[]>;
  abRuns: AbRunRecord[];
  calibration: CalibrationRunRecord | null;
  equity: EquityView;
}

export interface StatusOptions {
  dbPath: string;
  modelsDir: string;
  now?: () => number;
  retrainLimit?: number;
  abLimit?: number;
  gateHistoryLimit?: number;
  /** Each arm's equity curve keeps its most recent this many trades (the split uses all); 0 skips paper_trades. */
  tradeLimit?: number;
  /** The A/B policy the equity curves attribute trades under (the expiry bounds the window). */
  abPolicy?: AbPolicy;
}

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
    equity: { method: "none", champion: null, challenger: null, tradesA: 0, tradesB: 0, armA: [], armB: [] },
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
  const retrainLimit = opts.retrainLimit ?? 10;
  const abLimit = opts.abLimit ?? 6;
  const gateHistoryLimit = opts.gateHistoryLimit ?? 60;
  const tradeLimit = opts.tradeLimit ?? 20_000;

  section(report, "active model", () => {
    if (missingTables(conn, ["ab_active_model", "ab_test_runs"], report)) return;
    const state = readActiveState(conn);
    if (state === null) return;
    report.active = { ...activeModelView(state), previousArm: state.previousArm, swapRun: state.swapRunId === null ? null : getAbRun(conn, state.swapRunId) };
  });

  section(report, "retrain runs", () => {
    if (missingTables(conn, ["phase2_retrain_runs", "phase2_gate_log"], report)) return;
    report.retrainRuns = listRetrainRuns(conn, { limit: retrainLimit });
    // Gate history: the most recent entries per gate, oldest first for charting.
    report.gateHistory = gateHistory(conn, { limit: gateHistoryLimit });
  });

  section(report, "A/B evaluations", () => {
    if (missingTables(conn, ["ab_test_runs"], report)) return;
    report.abRuns = listAbRuns(conn, { limit: abLimit });
  });

  section(report, "calibration", () => {
    if (missingTables(conn, ["calibration_runs"], report)) return;
    const run = latestCalibrationRun(conn, { includeFailed: true });
    if (run?.payloadError != null) report.problems.push(`calibration run ${run.id} payload is not valid JSON: ${run.payloadError}`);
    report.calibration = run;
  });

  if (tradeLimit === 0) return;
  section(report, "paper trades", () => {
    if (missingTables(conn, ["paper_trades"], report)) return;
    if (!tableExists(conn.sqlite, "model_role_events")) return;
    const eq = armEquityCurves(conn, opts.abPolicy ?? DEFAULT_AB_POLICY, { nowMs: (opts.now ?? Date.now)() });
    report.equity = {
      method: eq.method ?? "none",
      champion: eq.champion,
      challenger: eq.challenger,
      tradesA: eq.a.length,
      tradesB: eq.b.length,
      armA: lastPoints(eq.a, tradeLimit),
      armB: lastPoints(eq.b, tradeLimit),
    };
  });
}

/** The last `n` values of a curve as [1-based index, value] points. */
function lastPoints(curve: readonly number[], n: number): [number, number][] {
  const from = Math.max(0, curve.length - n);
  return curve.slice(from).map((v, i) => [from + i + 1, v]);
}
