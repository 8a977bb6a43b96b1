// DB edge of the gates: build the snapshot from paper_trades + candles_1m, write the audit rows.
import { isoUtc, utcDayStart } from "@mlq/core";
import { gateLog, requireTables, writeTx, type Connection } from "@mlq/db";
import { listCandleSymbols, loadCandles } from "@mlq/market-data";
import { dailyRealizedVols, type DailyVolOptions } from "./daily-vol.js";
import type { GateResult, GateSnapshot } from "./types.js";

/** Snapshot as of `nowMs`: trades opened/closed later and candles from `nowMs` on are ignored. */
export function loadGateSnapshot(conn: Connection, nowMs: number, options: DailyVolOptions = {}): GateSnapshot {
  requireTables(conn, ["paper_trades", "candles_1m"]);
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

const finiteOrNull = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null);

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
