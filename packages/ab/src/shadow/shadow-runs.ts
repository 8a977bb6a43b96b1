// The shadow_eval_runs table (owned by @mlq/ab): one row per shadow evaluation, with the numbers
// the decision read and the equity curves the dashboard draws.
import { isoUtc } from "@mlq/core";
import { shadowEvalRuns, tableExists, type Connection } from "@mlq/db";
import type { ShadowCurves, ShadowEvaluation } from "./shadow-evaluation.js";

export interface ShadowRunRecord {
  readonly id: number;
  readonly tsIso: string;
  readonly abRunId: number | null;
  readonly versionA: string;
  readonly versionB: string;
  readonly status: ShadowEvaluation["status"];
  readonly reason: string | null;
  readonly windowStartIso: string | null;
  readonly windowEndIso: string | null;
  readonly bars: number | null;
  readonly symbols: string[];
  readonly sharpeA: number | null;
  readonly sharpeB: number | null;
  readonly difference: number | null;
  readonly correlation: number | null;
  readonly jkmZ: number | null;
  readonly hacZ: number | null;
  readonly pBetter: number | null;
  readonly pWorse: number | null;
  readonly tradesA: number | null;
  readonly tradesB: number | null;
  readonly costPerSide: number | null;
  readonly curves: ShadowCurves | null;
  readonly details: Record<string, unknown>;
}

/** Inserts the row (call inside the caller's transaction when it belongs to an A/B run). */
export function insertShadowRun(
  conn: Connection,
  e: ShadowEvaluation,
  meta: { nowMs: number; abRunId: number | null; jobId: string | null },
): number {
  const row = conn.db
    .insert(shadowEvalRuns)
    .values({
      tsMs: meta.nowMs,
      tsIso: isoUtc(meta.nowMs),
      abRunId: meta.abRunId,
      jobId: meta.jobId,
      versionA: e.versionA,
      versionB: e.versionB,
      status: e.status,
      reason: e.reason,
      windowStartMs: e.windowStartMs,
      windowEndMs: e.windowEndMs,
      bars: e.bars,
      symbols: JSON.stringify(e.symbols),
      sharpeA: e.sharpeA,
      sharpeB: e.sharpeB,
      difference: e.difference,
      correlation: e.correlation,
      jkmZ: e.jkmZ,
      hacZ: e.hacZ,
      pBetter: e.pBetter,
      pWorse: e.pWorse,
      tradesA: e.tradesA,
      tradesB: e.tradesB,
      costPerSide: e.costPerSide,
      details: JSON.stringify({
        minBars: e.minBars,
        horizonBars: e.horizonBars,
        thresholds: e.thresholds,
        perSymbol: e.perSymbol,
        meanA: e.meanA,
        meanB: e.meanB,
        testStatus: e.testStatus,
        method: e.method,
        curves: e.curves,
      }),
    })
    .returning({ id: shadowEvalRuns.id })
    .get();
  return row.id;
}

/** The newest shadow runs, newest first (none when the table does not exist yet). */
export function listShadowRuns(conn: Connection, limit = 20): ShadowRunRecord[] {
  if (!tableExists(conn.sqlite, "shadow_eval_runs")) return [];
  const rows = conn.sqlite.prepare("SELECT * FROM shadow_eval_runs ORDER BY id DESC LIMIT ?").all(limit) as Record<string, unknown>[];
  return rows.map(toRecord);
}

export function getShadowRun(conn: Connection, id: number): ShadowRunRecord | null {
  if (!tableExists(conn.sqlite, "shadow_eval_runs")) return null;
  const row = conn.sqlite.prepare("SELECT * FROM shadow_eval_runs WHERE id = ?").get(id) as Record<string, unknown> | undefined;
  return row ? toRecord(row) : null;
}

function toRecord(r: Record<string, unknown>): ShadowRunRecord {
  const details = parseJson(r["details"]) as Record<string, unknown> | null;
  const num = (k: string): number | null => (typeof r[k] === "number" ? (r[k] as number) : null);
  const ms = (k: string): string | null => (typeof r[k] === "number" ? isoUtc(r[k] as number) : null);
  return {
    id: Number(r["id"]),
    tsIso: String(r["ts_iso"]),
    abRunId: num("ab_run_id"),
    versionA: String(r["version_a"]),
    versionB: String(r["version_b"]),
    status: r["status"] as ShadowEvaluation["status"],
    reason: typeof r["reason"] === "string" ? r["reason"] : null,
    windowStartIso: ms("window_start_ms"),
    windowEndIso: ms("window_end_ms"),
    bars: num("bars"),
    symbols: (parseJson(r["symbols"]) as string[] | null) ?? [],
    sharpeA: num("sharpe_a"),
    sharpeB: num("sharpe_b"),
    difference: num("difference"),
    correlation: num("correlation"),
    jkmZ: num("jkm_z"),
    hacZ: num("hac_z"),
    pBetter: num("p_better"),
    pWorse: num("p_worse"),
    tradesA: num("trades_a"),
    tradesB: num("trades_b"),
    costPerSide: num("cost_per_side"),
    curves: (details?.["curves"] as ShadowCurves | undefined) ?? null,
    details: details ?? {},
  };
}

function parseJson(v: unknown): unknown {
  if (typeof v !== "string") return null;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return null;
  }
}
