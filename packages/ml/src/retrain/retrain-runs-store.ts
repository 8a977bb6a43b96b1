// Every read and write of phase2_retrain_runs: one row per retrain attempt, opened 'running'
// and closed 'done' or 'failed', plus the readers the views and other workers need.
import { isoUtc } from "@mlq/core";
import { requireTables, tableExists, writeTx, type Connection, type Sqlite } from "@mlq/db";
import type { GateResult } from "@mlq/gates";
import { gateLogByRun, gateSymbols, type GateLogEntry } from "./gate-store.js";

export type RetrainTrigger = "scheduled" | "force" | "smoke" | "dry-run" | "drift";

export const INTERRUPTED_ATTEMPT_MSG = "attempt interrupted (worker died or lost its job lock); the job was run again";

export interface OpenRunInput {
  nowMs: number;
  jobId: string | null;
  trigger: RetrainTrigger;
  /** The configured percentile ranks of the regime gate's band (e.g. 20 and 80), never band values. */
  volPercentileLo: number;
  volPercentileHi: number;
}

/**
 * One transaction: closes any row of the same job still 'running' (an attempt whose worker died
 * or lost its lock; BullMQ ran the job again), then inserts this attempt's 'running' row.
 */
export function openRetrainRun(conn: Connection, run: OpenRunInput): number {
  return writeTx(conn, () => {
    if (run.jobId) markInterruptedAttempts(conn, run.jobId);
    const r = conn.sqlite
      .prepare(
        `INSERT INTO phase2_retrain_runs (ts_ms, ts_iso, job_id, trigger_reason, success, status, vol_percentile_lo, vol_percentile_hi)
         VALUES (?, ?, ?, ?, 0, 'running', ?, ?)`,
      )
      .run(run.nowMs, isoUtc(run.nowMs), run.jobId, run.trigger, run.volPercentileLo, run.volPercentileHi);
    return Number(r.lastInsertRowid);
  });
}

/** True while the run row is 'running' (and belongs to `jobId`): a suspended run may continue on it. */
export function isRunOpen(conn: Connection, runId: number, jobId: string | null): boolean {
  const row = conn.sqlite.prepare(`SELECT status, job_id FROM phase2_retrain_runs WHERE id = ?`).get(runId) as
    | { status: string; job_id: string | null }
    | undefined;
  return row?.status === "running" && row.job_id === jobId;
}

/** Marks the job's rows still 'running' as failed-interrupted; returns how many. */
export function markInterruptedAttempts(conn: Connection, jobId: string): number {
  return writeTx(
    conn,
    () =>
      conn.sqlite
        .prepare(`UPDATE phase2_retrain_runs SET status = 'failed', success = 0, error_msg = ? WHERE job_id = ? AND status = 'running'`)
        .run(INTERRUPTED_ATTEMPT_MSG, jobId).changes,
  );
}

/** Facts a stage learns during the run, recorded as soon as known (a later failure keeps them). */
export interface RunFacts {
  slippageMult?: number;
  trainingRows?: number;
  embargoHours?: number;
  durationSec?: number;
}

const FACT_COLUMNS: Record<keyof RunFacts, string> = {
  slippageMult: "slippage_mult",
  trainingRows: "training_rows",
  embargoHours: "embargo_hours",
  durationSec: "duration_sec",
};

function updateColumns(conn: Connection, runId: number, values: Record<string, unknown>): void {
  const cols = Object.keys(values);
  if (cols.length === 0) return;
  writeTx(conn, () =>
    conn.sqlite
      .prepare(`UPDATE phase2_retrain_runs SET ${cols.map((c) => `${c} = @${c}`).join(", ")} WHERE id = @id`)
      .run({ ...values, id: runId }),
  );
}

export function recordRunFacts(conn: Connection, runId: number, facts: RunFacts): void {
  const values: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(FACT_COLUMNS)) {
    const v = facts[key as keyof RunFacts];
    if (v !== undefined) values[column] = v;
  }
  updateColumns(conn, runId, values);
}

/**
 * The gate decisions on the run row: gate_pass, the results as JSON (band values included, in
 * each result's details and metrics), paper days and closed trades. Call inside the transaction
 * that writes phase2_gate_log so the two agree. vol_percentile_lo/hi keep the ranks set at open.
 */
export function recordRunGates(conn: Connection, runId: number, gates: readonly GateResult[]): void {
  const value = (name: GateResult["name"]): number | null => gates.find((g) => g.name === name)?.value ?? null;
  updateColumns(conn, runId, {
    gate_pass: gates.every((g) => g.passed) ? 1 : 0,
    gate_details: JSON.stringify(gates),
    paper_days: value("paper_age"),
    closed_trades: value("trade_count"),
  });
}

export interface RunClose {
  success: boolean;
  errorMsg: string | null;
  durationSec: number;
  modelsTrained?: number;
  modelDir?: string;
  /** Per-model test metrics, stored as JSON. */
  metrics?: unknown;
}

/** Closes a run that reached a result (trained, dry run, gates not passed, too little data): status 'done'. */
export function closeRetrainRun(conn: Connection, runId: number, close: RunClose): void {
  updateColumns(conn, runId, {
    success: close.success ? 1 : 0,
    status: "done",
    error_msg: close.errorMsg,
    duration_sec: close.durationSec,
    models_trained: close.modelsTrained ?? 0,
    ...(close.modelDir !== undefined && { model_dir: close.modelDir }),
    ...(close.metrics !== undefined && { metrics: JSON.stringify(close.metrics) }),
  });
}

/** Closes a run that threw: status 'failed', success 0, the one-line error; gate_pass null when the gates never ran. */
export function failRetrainRun(
  conn: Connection,
  runId: number,
  failure: { errorMsg: string; gatePass: boolean | null; durationSec: number },
): void {
  updateColumns(conn, runId, {
    success: 0,
    status: "failed",
    error_msg: failure.errorMsg,
    gate_pass: failure.gatePass === null ? null : failure.gatePass ? 1 : 0,
    duration_sec: failure.durationSec,
  });
}

/** ts_ms of the newest retrain that trained models, or null when there is none (or no table). */
export function lastSuccessfulRetrainTsMs(conn: Connection): number | null {
  if (!tableExists(conn.sqlite, "phase2_retrain_runs")) return null;
  return conn.sqlite.prepare("SELECT max(ts_ms) FROM phase2_retrain_runs WHERE success = 1 AND models_trained > 0").pluck().get() as
    number | null;
}

/** slippage_mult of the newest successful retrain that recorded one; `fallback` (the backtest 2.0) before any. */
export function currentSlippageMult(sqlite: Sqlite, fallback: number): number {
  if (!tableExists(sqlite, "phase2_retrain_runs")) return fallback;
  const m = sqlite
    .prepare("SELECT slippage_mult FROM phase2_retrain_runs WHERE slippage_mult IS NOT NULL AND success = 1 ORDER BY id DESC LIMIT 1")
    .pluck()
    .get() as number | undefined;
  return m !== undefined && Number.isFinite(m) && m > 0 ? m : fallback;
}

/** One retrain run as views show it, with its logged gates. */
export interface RetrainRunRecord {
  id: number;
  tsMs: number;
  tsIso: string;
  jobId: string | null;
  triggerReason: string;
  status: string | null;
  success: boolean;
  gatePass: boolean | null;
  gates: GateLogEntry[];
  /** The configured percentile ranks of the regime band (e.g. 20, 80); the band values are in the regime gate's details and symbols. */
  volPercentileLo: number | null;
  volPercentileHi: number | null;
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

function parseJson(text: string | null): { value: unknown; error: string | null } {
  if (text === null || text === "") return { value: null, error: null };
  try {
    return { value: JSON.parse(text) as unknown, error: null };
  } catch (err) {
    return { value: null, error: (err as Error).message };
  }
}

/** Each logged gate with its per-symbol results from the run's gate_details, where it recorded any. */
function withSymbols(gates: GateLogEntry[], gateDetails: string | null): GateLogEntry[] {
  const parsed = parseJson(gateDetails).value;
  return gates.map((g) => {
    const symbols = gateSymbols(parsed, g.name);
    return symbols ? { ...g, symbols } : g;
  });
}

/** A row as SELECTed below: the record's columns before decoding. */
type RunRow = Omit<RetrainRunRecord, "success" | "gatePass" | "gates" | "metrics" | "metricsError"> & {
  success: number;
  gatePass: number | null;
  gateDetails: string | null;
  metrics: string | null;
};

/** The newest `limit` runs, newest first, each with its gates from phase2_gate_log. */
export function listRetrainRuns(conn: Connection, options: { limit: number }): RetrainRunRecord[] {
  requireTables(conn, ["phase2_retrain_runs", "phase2_gate_log"]);
  const rows = conn.sqlite
    .prepare(
      `SELECT id, ts_ms AS tsMs, ts_iso AS tsIso, job_id AS jobId, trigger_reason AS triggerReason, status, success, gate_pass AS gatePass,
         gate_details AS gateDetails, vol_percentile_lo AS volPercentileLo, vol_percentile_hi AS volPercentileHi, training_rows AS trainingRows,
         models_trained AS modelsTrained, model_dir AS modelDir, slippage_mult AS slippageMult, embargo_hours AS embargoHours,
         duration_sec AS durationSec, error_msg AS errorMsg, metrics
       FROM phase2_retrain_runs ORDER BY id DESC LIMIT ?`,
    )
    .all(options.limit) as RunRow[];
  const gates = gateLogByRun(
    conn,
    rows.map((r) => r.id),
  );
  return rows.map(({ success, gatePass, gateDetails, metrics, ...columns }) => {
    const parsed = parseJson(metrics);
    return {
      ...columns,
      success: success === 1,
      gatePass: gatePass === null ? null : gatePass === 1,
      gates: withSymbols(gates.get(columns.id) ?? [], gateDetails),
      metrics: parsed.value,
      metricsError: parsed.error,
    };
  });
}
