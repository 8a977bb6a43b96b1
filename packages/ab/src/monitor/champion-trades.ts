// The live champion's closed trades since it took the role, in close order: what the decay
// detector watches. A trade is the champion's by `model_version`, else by `model_arm`
// 'v1_backtest' (the champion at the trade's entry); untagged trades count only when none is tagged.
// The choice is made in SQL and only `pnl_pct` comes back: an hourly run over a long history must
// not build an object per trade.
import { tableColumns, tableExists, requireColumns, type Connection } from "@mlq/db";
import { ARM_A, ARM_B } from "@mlq/registry";

/**
 * How the window's trades were given to the champion. `untagged`: the bot writes neither
 * `model_version` nor `model_arm`, so every trade opened since the champion took its role counts —
 * including the challenger's paper trades of that time, which cannot be told apart.
 */
export type ChampionSelection = "model_version" | "model_arm" | "untagged";

/**
 * The champion's current span of the role history: trades opened from `sinceMs` on and closed by
 * `nowMs`. Inside it the holder of 'v1_backtest' at any entry time is the champion itself (per
 * `roleTimeline`/`holderAt`), so `model_arm` 'v1_backtest' there means this version.
 */
export interface ChampionWindow {
  readonly champion: string;
  readonly sinceMs: number;
  readonly nowMs: number;
}

export interface ChampionTrades {
  /** Null when no closed trade with a usable `pnl_pct` was opened in the window. */
  readonly method: ChampionSelection | null;
  /** The champion's returns (`pnl_pct`, %) in (close time, id) order. */
  readonly returns: number[];
  readonly counts: ChampionTradeCounts;
}

/** What the selection left out of the champion's window, by reason. */
export interface ChampionTradeCounts {
  /** Trades in the window tagged with another version (the challenger's, an unknown one). */
  readonly otherVersion: number;
  /** Trades in the window with `model_arm` 'v2_paper' and no version: the challenger's paper trades. */
  readonly otherArm: number;
  /** Untagged trades left out because other trades in the window are tagged. */
  readonly untaggedLeftOut: number;
  /** `model_arm` values that are not an arm label. */
  readonly unknownArm: number;
  /** Closed trades in the window left out: `pnl_pct` NULL, or not a finite number. */
  readonly nullPnl: number;
  readonly invalidPnl: number;
}

interface Sql {
  /** The window (bound as :since, :now). */
  readonly window: string;
  /** Usable rows: a finite number in pnl_pct and an entry time. */
  readonly usable: string;
  readonly version: string;
  readonly arm: string;
}

function sqlParts(conn: Connection): Sql | null {
  if (!tableExists(conn.sqlite, "paper_trades")) return null;
  requireColumns(conn, "paper_trades", ["id", "status", "opened_ts_ms", "closed_ts_ms", "pnl_pct"]);
  const columns = tableColumns(conn.sqlite, "paper_trades");
  return {
    window: "status = 'closed' AND closed_ts_ms IS NOT NULL AND opened_ts_ms >= :since AND closed_ts_ms <= :now",
    // ±Inf is a REAL in SQLite; NaN is stored as NULL. A text opened_ts_ms sorts above every number.
    usable:
      "typeof(pnl_pct) IN ('integer', 'real') AND abs(pnl_pct) <= 1.7976931348623157e308 AND typeof(opened_ts_ms) IN ('integer', 'real')",
    version: columns.has("model_version") ? "NULLIF(CAST(model_version AS TEXT), '')" : "NULL",
    arm: columns.has("model_arm") ? "(CASE WHEN typeof(model_arm) = 'text' THEN NULLIF(model_arm, '') END)" : "NULL",
  };
}

/** The SQL condition that picks the champion's rows for `method` (bound as :champion). */
function championCondition(sql: Sql, method: ChampionSelection): string {
  switch (method) {
    case "untagged":
      return "1";
    case "model_arm":
      return `${sql.arm} = '${ARM_A}'`;
    case "model_version":
      return `(${sql.version} = :champion OR (${sql.version} IS NULL AND ${sql.arm} = '${ARM_A}'))`;
  }
}

/** One pass sorting the window's rows into kinds, then one SELECT of the champion's `pnl_pct` in close order. */
export function loadChampionTrades(conn: Connection, window: ChampionWindow): ChampionTrades {
  const sql = sqlParts(conn);
  if (!sql)
    return {
      method: null,
      returns: [],
      counts: { otherVersion: 0, otherArm: 0, untaggedLeftOut: 0, unknownArm: 0, nullPnl: 0, invalidPnl: 0 },
    };
  const params = { since: window.sinceMs, now: window.nowMs, champion: window.champion };
  const kinds = conn.sqlite
    .prepare(
      `SELECT CASE
         WHEN pnl_pct IS NULL THEN 'nullPnl'
         WHEN NOT (${sql.usable}) THEN 'invalidPnl'
         WHEN ${sql.version} IS NOT NULL THEN (CASE WHEN ${sql.version} = :champion THEN 'version' ELSE 'otherVersion' END)
         WHEN ${sql.arm} IS NULL THEN 'untagged'
         WHEN ${sql.arm} = '${ARM_A}' THEN 'armA'
         WHEN ${sql.arm} = '${ARM_B}' THEN 'armB'
         ELSE 'unknownArm' END AS kind, count(*)
       FROM paper_trades WHERE ${sql.window} GROUP BY kind`,
    )
    .raw(true)
    .all(params) as [string, number][];
  const n = Object.fromEntries(kinds) as Partial<Record<string, number>>;
  const k = (kind: string): number => n[kind] ?? 0;
  const usable = k("version") + k("otherVersion") + k("armA") + k("armB") + k("untagged") + k("unknownArm");
  const method: ChampionSelection | null =
    usable === 0 ? null : k("version") + k("otherVersion") > 0 ? "model_version" : k("armA") + k("armB") > 0 ? "model_arm" : "untagged";
  const tagged = method === "model_version" || method === "model_arm";
  const counts = {
    otherVersion: k("otherVersion"),
    otherArm: k("armB"),
    // Without any tag every usable trade is the champion's (see ChampionSelection).
    untaggedLeftOut: tagged ? k("untagged") : 0,
    unknownArm: tagged ? k("unknownArm") : 0,
    nullPnl: k("nullPnl"),
    invalidPnl: k("invalidPnl"),
  };
  if (method === null) return { method, returns: [], counts };
  const returns = conn.sqlite
    .prepare(
      `SELECT pnl_pct FROM paper_trades WHERE ${sql.window} AND ${sql.usable} AND ${championCondition(sql, method)} ORDER BY closed_ts_ms, id`,
    )
    .pluck(true)
    .all(method === "model_version" ? params : { since: params.since, now: params.now }) as number[];
  return { method, returns, counts };
}

/** The `index`-th (0-based) of the champion's trades as loadChampionTrades ordered them. */
export function championTradeAt(
  conn: Connection,
  window: ChampionWindow,
  method: ChampionSelection,
  index: number,
): { id: number; closedTsMs: number } | null {
  const sql = sqlParts(conn);
  if (!sql) return null;
  const row = conn.sqlite
    .prepare(
      `SELECT id, closed_ts_ms AS closedTsMs FROM paper_trades WHERE ${sql.window} AND ${sql.usable} AND ${championCondition(sql, method)} ORDER BY closed_ts_ms, id LIMIT 1 OFFSET :index`,
    )
    .get({ since: window.sinceMs, now: window.nowMs, index, ...(method === "model_version" ? { champion: window.champion } : {}) }) as
    { id: number; closedTsMs: number } | undefined;
  return row ? { id: Number(row.id), closedTsMs: Number(row.closedTsMs) } : null;
}
