// One refresh of the service's state: materialize new ticks into candles_1m (incremental, from the
// watermark), read the new closed bars and recompute the changed symbols' features, then follow the
// role history. The HTTP app runs it on a timer; tests call it directly.
import { isTransientSqliteError, TransientDbError, type Logger } from "@mlq/core";
import type { Connection } from "@mlq/db";
import { materializeCandlesAsync, type MaterializeCandlesResult } from "@mlq/market-data";
import type { LiveCandleBook, RefreshResult } from "./live-candles.js";
import type { RoleModels, ServedRole } from "./role-models.js";

export interface RefreshServingOptions {
  /** Materialize candles from new ticks first (default true; false when another process does it). */
  materialize?: boolean;
  /** Worker threads for a large candle backlog (see materializeCandlesAsync; default one per core). */
  candleThreads?: number;
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
      candles = await materializeCandlesAsync(conn, {
        ...(options.candleThreads !== undefined ? { threads: options.candleThreads } : {}),
        logger: quietInfo(options.logger),
      });
    } catch (err) {
      // Another process (a retrain's candle stage) is materializing: read what is there, try again next time.
      if (!(err instanceof TransientDbError) && !isTransientSqliteError(err)) throw err;
      options.logger.debug("serve: candles busy, skipped this round", { error: (err as Error).message });
    }
  }
  const bars = conn.sqlite.transaction(() => book.refresh(conn.sqlite))();
  const swapped = roles.refresh(conn);
  return { candles, bars, swapped };
}

/** The materializer logs every run at info; once a second that is noise, so it goes to debug. */
function quietInfo(logger: Logger): Logger {
  return { ...logger, info: (msg, fields) => logger.debug(msg, fields) };
}
