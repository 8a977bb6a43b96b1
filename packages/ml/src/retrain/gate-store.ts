// The SQL around the gates, next to the retrain that runs them (@mlq/gates stays pure): the gate
// snapshot from paper_trades + candles_1m, and phase2_gate_log's writes and reads.
import { finiteOrNull, isoUtc, utcDayStart } from "@mlq/core";
import { dailyRealizedVols, type DailyVolOptions, type GateResult, type GateSnapshot } from "@mlq/gates";
import { gateLog, requireColumns, requireTables, writeTx, type Connection } from "@mlq/db";
import { listCandleSymbols, loadCandles } from "@mlq/market-data";

/** paper_trades columns the gate snapshot reads. */
export const GATE_TRADE_COLUMNS = ["status", "opened_ts_ms", "closed_ts_ms"] as const;

/** Snapshot as of `nowMs`: trades opened/closed later and candles from `nowMs` on are ignored. */
export function loadGateSnapshot(conn: Connection, nowMs: number, options: DailyVolOptions = {}): GateSnapshot {
  requireColumns(conn, "paper_trades", GATE_TRADE_COLUMNS);
  requireTables(conn, ["candles_1m"]);
  const { sqlite } = conn;
  const first = sqlite.prepare("SELECT min(opened_ts_ms) FROM paper_trades WHERE opened_ts_ms <= ?").pluck().get(nowMs) as number | null;
  const closedTrades = sqlite
    .prepare("SELECT count(*) FROM paper_trades WHERE status = 'closed' AND (closed_ts_ms IS NULL OR closed_ts_ms <= ?)")
    .pluck()
    .get(nowMs) as number;
  const dailyVols = listCandleSymbols(sqlite).flatMap((symbol) =>
    dailyRealizedVols(loadCandles(sqlite, { symbol, toMs: nowMs }), 2, options),
  );
  return {
    nowMs,
    firstPaperTradeTsMs: first,
    paperStartDayMs: first === null ? null : utcDayStart(first),
    closedTrades,
    dailyVols,
  };
}

/** One transaction: a `phase2_gate_log` row per result under `runId`. Returns the rows written. */
export function writeGateLog(conn: Connection, runId: number | null, results: readonly GateResult[], nowMs: number): number {
  if (results.length === 0) return 0;
  const tsIso = isoUtc(nowMs);
  const rows = results.map((r) => ({
    runId,
    tsMs: nowMs,
    tsIso,
    gateName: r.name,
    passed: r.passed ? 1 : 0,
    value: finiteOrNull(r.value),
    threshold: finiteOrNull(r.threshold),
    details: r.details,
  }));
  writeTx(conn, () => conn.db.insert(gateLog).values(rows).run());
  return rows.length;
}

/** One logged gate decision as a view shows it. */
export interface GateLogEntry {
  name: string;
  passed: boolean;
  value: number | null;
  threshold: number | null;
  details: string | null;
  /** regime_diversity per symbol, from the run row's `gate_details` JSON (absent for older runs). */
  symbols?: GateSymbolEntry[];
}

/** One symbol of the regime gate as recorded: its paper-period daily vol range vs its own history's band. */
export interface GateSymbolEntry {
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

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null;
const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** The per-symbol entries of gate `name` in a run's parsed `gate_details` (GateResult[]), or undefined. */
export function gateSymbols(gateDetails: unknown, name: string): GateSymbolEntry[] | undefined {
  if (!Array.isArray(gateDetails)) return undefined;
  const gate = (gateDetails as unknown[]).find((g) => isObject(g) && g.name === name);
  const symbols = isObject(gate) ? gate.symbols : undefined;
  if (!Array.isArray(symbols)) return undefined;
  return (symbols as unknown[])
    .filter((s): s is JsonObject => isObject(s) && typeof s.symbol === "string")
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

/** The logged gates of each run in `runIds`, in log order (runs without rows are absent). */
export function gateLogByRun(conn: Connection, runIds: readonly number[]): Map<number, GateLogEntry[]> {
  requireTables(conn, ["phase2_gate_log"]);
  const out = new Map<number, GateLogEntry[]>();
  if (runIds.length === 0) return out;
  const rows = conn.sqlite
    .prepare(
      `SELECT run_id, gate_name, passed, value, threshold, details FROM phase2_gate_log
       WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
    )
    .raw(true)
    .all(JSON.stringify(runIds)) as [number, string, number, number | null, number | null, string | null][];
  for (const [runId, name, passed, value, threshold, details] of rows) {
    let gates = out.get(runId);
    if (gates === undefined) out.set(runId, (gates = []));
    gates.push({ name, passed: passed === 1, value: finiteOrNull(value), threshold: finiteOrNull(threshold), details });
  }
  return out;
}

/** One point of a gate's history chart. */
export interface GatePoint {
  tsMs: number;
  runId: number | null;
  passed: boolean;
  value: number | null;
  threshold: number | null;
}

/** The latest `limit` points of each gate name, oldest first (for charting). */
export function gateHistory(conn: Connection, options: { limit: number }): Record<string, GatePoint[]> {
  requireTables(conn, ["phase2_gate_log"]);
  const rows = conn.sqlite
    .prepare(
      `SELECT gate_name, ts_ms, run_id, passed, value, threshold FROM (
         SELECT g.*, ROW_NUMBER() OVER (PARTITION BY gate_name ORDER BY ts_ms DESC, id DESC) AS rn FROM phase2_gate_log g
       ) WHERE rn <= ? ORDER BY gate_name, ts_ms, rn DESC`,
    )
    .raw(true)
    .all(options.limit) as [string, number, number | null, number, number | null, number | null][];
  const byGate: Record<string, GatePoint[]> = {};
  for (const [name, tsMs, runId, passed, value, threshold] of rows)
    (byGate[name] ??= []).push({ tsMs, runId, passed: passed === 1, value: finiteOrNull(value), threshold: finiteOrNull(threshold) });
  return byGate;
}
