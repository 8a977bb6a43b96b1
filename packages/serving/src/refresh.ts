// One refresh of the service's state: materialize new ticks into candles_1m (incremental, from the
// watermark, a bounded slice per refresh), read the new closed bars and recompute the changed
// symbols' features, then follow the role history. The HTTP app runs it on a timer; tests call it.
import { isTransientSqliteError, TransientDbError, type Logger } from "@mlq/core";
import type { Connection } from "@mlq/db";
import { materializeCandles, type MaterializeCandlesResult } from "@mlq/market-data";
import type { LiveCandleBook, RefreshResult } from "./live-candles.js";
import type { RoleModels, ServedRole } from "./role-models.js";

export interface RefreshServingOptions {
  /** Materialize candles from new ticks first (default true; false when another process does it). */
  materialize?: boolean;
  /**
   * Tick rowids materialized per refresh at most (default 50,000, a few tens of ms): a backlog (a first
   * start on a large table) is worked off over several refreshes instead of blocking requests for seconds.
   */
  maxTicksPerRefresh?: number;
  logger: Logger;
}

export interface ServingRefresh {
  candles: MaterializeCandlesResult | null;
  bars: RefreshResult;
  swapped: ServedRole[];
}

export async function refreshServing(
  conn: Connection,
  book: LiveCandleBook,
  roles: RoleModels,
  options: RefreshServingOptions,
): Promise<ServingRefresh> {
  let candles: MaterializeCandlesResult | null = null;
  if (options.materialize !== false) {
    try {
      const from = resumeRowid(conn);
      if (from !== null)
        candles = materializeCandles(conn, { maxRowid: from + (options.maxTicksPerRefresh ?? 50_000), logger: quietInfo(options.logger) });
    } catch (err) {
      // Another process (a retrain's candle stage) is materializing: read what is there, try again next time.
      if (!(err instanceof TransientDbError) && !isTransientSqliteError(err)) throw err;
      options.logger.debug("serve: candles busy, skipped this round", { error: (err as Error).message });
    }
  }
  // Synchronous steps with a turn of the event loop between them, so requests wait for one step at most:
  // materializing, reading the new bars, and each changed symbol's features.
  await turn();
  const bars = conn.sqlite.transaction(() => book.readBars(conn.sqlite))();
  for (const symbol of bars.changed) {
    await turn();
    book.recompute(symbol);
  }
  const swapped = roles.refresh(conn);
  return { candles, bars, swapped };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Where the next materialization starts reading: the smallest watermark, or before the first tick. */
function resumeRowid(conn: Connection): number | null {
  const wm = conn.sqlite.prepare("SELECT min(last_rowid) FROM candles_1m_watermark").pluck().get() as number | null;
  if (wm !== null) return wm;
  const first = conn.sqlite.prepare("SELECT min(rowid) FROM ticks").pluck().get() as number | null;
  return first === null ? null : first - 1;
}

/** The materializer logs every run at info; once a second that is noise, so it goes to debug. */
function quietInfo(logger: Logger): Logger {
  return { ...logger, info: (msg, fields) => logger.debug(msg, fields) };
}
