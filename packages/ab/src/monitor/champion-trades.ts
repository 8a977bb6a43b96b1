// The live champion's closed trades since it took the role, in close order: what the decay
// detector watches. A trade is the champion's by `model_version`, else by `model_arm`
// 'v1_backtest' held by the champion at entry; untagged trades count only when none is tagged.
import { tableColumns, tableExists, requireColumns, type Connection } from "@mlq/db";
import { ARM_A, ARM_B, holderAt, type RoleTimeline } from "@mlq/registry";
import type { AbTrade } from "../ab-trade.js";

/**
 * How the window's trades were given to the champion. `untagged`: the bot writes neither
 * `model_version` nor `model_arm`, so every trade opened since the champion took its role counts —
 * including the challenger's paper trades of that time, which cannot be told apart.
 */
export type ChampionSelection = "model_version" | "model_arm" | "untagged";

export interface ChampionWindow {
  readonly champion: string;
  /** When the champion took its role (the start of its current span). */
  readonly sinceMs: number;
  /** Trades closed after this are not seen yet. */
  readonly nowMs: number;
}

export interface ChampionTrades {
  /** Null when no closed trade was opened in the window. */
  readonly method: ChampionSelection | null;
  /** Returns (`pnl_pct`) in close order, with their trade ids and close times. */
  readonly returns: number[];
  readonly ids: number[];
  readonly closeTsMs: number[];
  readonly counts: {
    /** Trades in the window tagged with another version (the challenger's, an unknown one). */
    readonly otherVersion: number;
    /** `model_arm` 'v2_paper' (the challenger's paper trades) or 'v1_backtest' held by another version. */
    readonly otherArm: number;
    /** Untagged trades left out because other trades in the window are tagged. */
    readonly untaggedLeftOut: number;
    /** `model_arm` values that are not an arm label. */
    readonly unknownArm: number;
  };
}

/**
 * Pure: the champion's trades among `trades` (any order; closed trades with finite `pnl_pct`).
 * Only trades opened at or after `sinceMs` and closed by `nowMs` are in the window.
 */
export function selectChampionTrades(trades: readonly AbTrade[], window: ChampionWindow, timeline: RoleTimeline): ChampionTrades {
  const inWindow = trades.filter((t) => t.openedTsMs >= window.sinceMs && t.closedTsMs <= window.nowMs);
  if (!isCloseOrdered(inWindow)) inWindow.sort((x, y) => x.closedTsMs - y.closedTsMs || x.id - y.id);
  const byVersion = inWindow.some((t) => !!t.modelVersion);
  const tagged = byVersion || inWindow.some((t) => t.modelArm === ARM_A || t.modelArm === ARM_B);
  const method: ChampionSelection | null = inWindow.length === 0 ? null : byVersion ? "model_version" : tagged ? "model_arm" : "untagged";
  const out = { returns: [] as number[], ids: [] as number[], closeTsMs: [] as number[] };
  let otherVersion = 0;
  let otherArm = 0;
  let untaggedLeftOut = 0;
  let unknownArm = 0;
  for (const t of inWindow) {
    let mine: boolean;
    if (!tagged) mine = true;
    else if (t.modelVersion) {
      mine = t.modelVersion === window.champion;
      if (!mine) otherVersion++;
    } else if (t.modelArm === ARM_A || t.modelArm === ARM_B) {
      mine = t.modelArm === ARM_A && holderAt(timeline.champion, t.openedTsMs) === window.champion;
      if (!mine) otherArm++;
    } else {
      mine = false;
      if (t.modelArm) unknownArm++;
      else untaggedLeftOut++;
    }
    if (!mine) continue;
    out.returns.push(t.pnlPct);
    out.ids.push(t.id);
    out.closeTsMs.push(t.closedTsMs);
  }
  return { method, ...out, counts: { otherVersion, otherArm, untaggedLeftOut, unknownArm } };
}

function isCloseOrdered(trades: readonly AbTrade[]): boolean {
  for (let i = 1; i < trades.length; i++) {
    const p = trades[i - 1]!;
    const t = trades[i]!;
    if (p.closedTsMs > t.closedTsMs || (p.closedTsMs === t.closedTsMs && p.id > t.id)) return false;
  }
  return true;
}

export interface LoadedWindow {
  readonly trades: AbTrade[];
  /** Closed trades in the window left out: `pnl_pct` NULL, or not a finite number. */
  readonly skippedNullPnl: number;
  readonly skippedInvalidPnl: number;
}

/**
 * One SELECT of the closed trades opened since `sinceMs` (the window only, so an hourly run does
 * not read the whole history), in (close time, id) order. Reads `model_arm` / `model_version`
 * when the bot's table has them. No paper_trades table → no trades.
 */
export function loadChampionWindow(conn: Connection, sinceMs: number, nowMs: number): LoadedWindow {
  if (!tableExists(conn.sqlite, "paper_trades")) return { trades: [], skippedNullPnl: 0, skippedInvalidPnl: 0 };
  requireColumns(conn, "paper_trades", ["id", "status", "opened_ts_ms", "closed_ts_ms", "pnl_pct"]);
  const columns = tableColumns(conn.sqlite, "paper_trades");
  const rows = conn.sqlite
    .prepare(
      `SELECT id, opened_ts_ms, closed_ts_ms, pnl_pct, ${columns.has("model_arm") ? "model_arm" : "NULL"}, ${columns.has("model_version") ? "model_version" : "NULL"}
       FROM paper_trades
       WHERE status = 'closed' AND closed_ts_ms IS NOT NULL AND opened_ts_ms >= ? AND closed_ts_ms <= ?
       ORDER BY closed_ts_ms, id`,
    )
    .raw(true)
    .all(sinceMs, nowMs) as unknown[][];
  const trades: AbTrade[] = [];
  let skippedNullPnl = 0;
  let skippedInvalidPnl = 0;
  for (const r of rows) {
    const pnl = r[3];
    if (pnl === null) {
      skippedNullPnl++;
      continue;
    }
    if (typeof pnl !== "number" || !Number.isFinite(pnl)) {
      skippedInvalidPnl++;
      continue;
    }
    // A text opened_ts_ms sorts above every number in SQLite; such a row has no usable entry time.
    if (typeof r[1] !== "number" && typeof r[1] !== "bigint") continue;
    const version = r[5];
    trades.push({
      id: Number(r[0]),
      openedTsMs: Number(r[1]),
      closedTsMs: Number(r[2]),
      pnlPct: pnl,
      modelArm: typeof r[4] === "string" ? r[4] : null,
      modelVersion: version === null || version === undefined || version === "" ? null : String(version),
    });
  }
  return { trades, skippedNullPnl, skippedInvalidPnl };
}
