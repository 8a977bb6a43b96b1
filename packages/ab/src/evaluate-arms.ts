// The read-only half of an A/B run: load closed trades, split, measure, decide.
import { throwIfAborted } from "@mlq/core";
import { requireColumns, tableColumns, tableExists, type Connection } from "@mlq/db";
import { armMetrics, type ArmMetrics } from "./arm-metrics.js";
import { decideSwap, type SwapDecision, type SwapPolicy } from "./decide-swap.js";
import { splitArms, type ArmSplit, type SplitMethod, type SplitTrade } from "./split-arms.js";

export interface LoadedTrades {
  readonly trades: SplitTrade[];
  readonly hasModelArm: boolean;
  /** Closed trades left out because pnl_pct is NULL. */
  readonly skippedNullPnl: number;
  /** Closed trades left out because pnl_pct is not a finite number (±Inf, text). */
  readonly skippedInvalidPnl: number;
}

/** One SELECT of closed trades with a close time, in (close time, id) order. */
export function loadAbTrades(conn: Connection): LoadedTrades {
  requireColumns(conn, "paper_trades", ["id", "status", "closed_ts_ms", "pnl_pct"]);
  const columns = tableColumns(conn.sqlite, "paper_trades");
  const hasModelArm = columns.has("model_arm");
  const rows = conn.sqlite
    .prepare(
      `SELECT id, closed_ts_ms, pnl_pct${hasModelArm ? ", model_arm" : ""} FROM paper_trades
       WHERE status = 'closed' AND closed_ts_ms IS NOT NULL ORDER BY closed_ts_ms, id`,
    )
    .raw(true)
    .all() as unknown[][];
  const trades: SplitTrade[] = [];
  let skippedNullPnl = 0;
  let skippedInvalidPnl = 0;
  for (const r of rows) {
    const pnl = r[2];
    if (pnl === null) {
      skippedNullPnl++;
      continue;
    }
    if (typeof pnl !== "number" || !Number.isFinite(pnl)) {
      skippedInvalidPnl++;
      continue;
    }
    trades.push({ id: Number(r[0]), closedTsMs: Number(r[1]), pnlPct: pnl, modelArm: hasModelArm ? (r[3] as string | null) : null });
  }
  return { trades, hasModelArm, skippedNullPnl, skippedInvalidPnl };
}

/** ts_ms of the newest successful retrain, or null when there is none (or no table). */
export function lastSuccessfulRetrainTsMs(conn: Connection): number | null {
  if (!tableExists(conn.sqlite, "phase2_retrain_runs")) return null;
  const row = conn.sqlite.prepare("SELECT max(ts_ms) AS ts FROM phase2_retrain_runs WHERE success = 1 AND models_trained > 0").get() as { ts: number | null };
  return row.ts;
}

export interface AbEvaluation {
  readonly splitMethod: SplitMethod;
  /** Temporal split boundary (last successful retrain), null with model_arm or no retrain yet. */
  readonly boundaryTsMs: number | null;
  readonly untagged: number;
  readonly skippedNullPnl: number;
  readonly skippedInvalidPnl: number;
  readonly a: ArmMetrics;
  readonly b: ArmMetrics;
  readonly decision: SwapDecision;
}

/**
 * Closed trades split into arms exactly as the decision splits them; the equity curves use it
 * too, so a chart can never put a trade in another arm than the evaluation did.
 */
export function loadArmSplit(conn: Connection, signal?: AbortSignal): { loaded: LoadedTrades; split: ArmSplit } {
  const loaded = loadAbTrades(conn);
  throwIfAborted(signal);
  const split = splitArms(loaded.trades, { lastRetrainTsMs: lastSuccessfulRetrainTsMs(conn), hasModelArm: loaded.hasModelArm });
  return { loaded, split };
}

/** Loads, splits, measures and decides. Reads only; deterministic for the same rows. */
export function evaluateArms(conn: Connection, policy: SwapPolicy, signal?: AbortSignal): AbEvaluation {
  const { loaded, split } = loadArmSplit(conn, signal);
  const a = armMetrics(split.a.returns, split.a.closeTsMs);
  const b = armMetrics(split.b.returns, split.b.closeTsMs);
  throwIfAborted(signal);
  return {
    splitMethod: split.method,
    boundaryTsMs: split.boundaryTsMs,
    untagged: split.untagged,
    skippedNullPnl: loaded.skippedNullPnl,
    skippedInvalidPnl: loaded.skippedInvalidPnl,
    a,
    b,
    decision: decideSwap(a, b, policy),
  };
}
