// Incremental, exact 1-minute OHLCV materialization from `ticks` into `candles_1m`.
//
// Every batch commit stores the candles touched so far *and* the watermark in one short
// transaction, so the table always equals a full rebuild of the ticks up to `last_rowid`.
// A bar touched again later (the bar still open at the watermark, or an out-of-order tick's
// older bar) is loaded back and extended in rowid order, so the result is bit-identical to a
// full rebuild — even the floating-point volume sum continues the same sequence of additions.
import { MINUTE_MS, silentLogger, throwIfAborted, TransientDbError, type Logger, type ProgressFn } from "@mlq/core";
import { requireColumns, requireTables, writeTx, type Connection } from "@mlq/db";

export interface MaterializeCandlesOptions {
  /** Candle rows per write transaction. Default 5,000. */
  batchSize?: number;
  /** Ticks per read query (each its own short read transaction). Default 50,000. */
  readChunk?: number;
  /** Drop all candles and watermarks first, then rebuild from the first tick. */
  rebuild?: boolean;
  signal?: AbortSignal;
  progress?: ProgressFn;
  logger?: Logger;
  /** Clock for `updated_ts_ms` (tests). */
  now?: () => number;
  /** Stop at this rowid (the watermark lands there); the next run continues. */
  maxRowid?: number;
}

export interface MaterializeCandlesResult {
  /** Candle rows inserted or updated. */
  rowsWritten: number;
  /** Ticks read past the watermark (valid or not). */
  ticksRead: number;
  /** Ticks of this run skipped for a bad price or timestamp. */
  skippedTicks: number;
  /** Symbols that had ticks in this run. */
  symbols: string[];
  durationMs: number;
}

interface Bar {
  bucket: number;
  open: number;
  high: number;
  low: number;
  close: number;
  ticks: number;
  volume: number;
  counted: boolean;
}

interface SymbolState {
  symbol: string;
  /** Ticks with rowid ≤ this are already in candles_1m. */
  lastRowid: number;
  /** Newest bucket stored in candles_1m; older buckets may need loading back. */
  storedMaxBucket: number | null;
  /** Newest bucket seen (stored or in memory): the bar still open. */
  maxBucket: number | null;
  skipped: number;
  current: Bar | null;
  seenThisRun: boolean;
}

const NO_ROWID = Number.MIN_SAFE_INTEGER;

/** The ticks columns candles are built from (SPEC 2); `size` may hold NULLs but must exist. */
export const TICK_COLUMNS = ["ts_ms", "symbol", "price", "size"] as const;

/** `ticks table missing in <path>` or `ticks.price column missing in <path>` before any SQL runs. */
export function requireTickColumns(conn: Connection): void {
  requireColumns(conn, "ticks", TICK_COLUMNS);
}

function barKey(symbol: string, bucket: number): string {
  return `${bucket}\u0000${symbol}`;
}

export function materializeCandles(conn: Connection, options: MaterializeCandlesOptions = {}): MaterializeCandlesResult {
  const started = performance.now();
  const batchSize = options.batchSize ?? 5_000;
  const readChunk = options.readChunk ?? 50_000;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const { signal, progress } = options;
  requireTickColumns(conn);
  requireTables(conn, ["candles_1m", "candles_1m_watermark"]);
  const { sqlite } = conn;

  if (options.rebuild) {
    // Watermarks first: without them the next run rebuilds from the first tick and overwrites
    // any candle still here, so a crash between these short transactions is harmless.
    writeTx(conn, () => sqlite.prepare("DELETE FROM candles_1m_watermark").run());
    const deleteBatch = sqlite.prepare("DELETE FROM candles_1m WHERE rowid IN (SELECT rowid FROM candles_1m LIMIT ?)");
    while (writeTx(conn, () => deleteBatch.run(batchSize).changes) > 0) throwIfAborted(signal);
  }

  const states = new Map<string, SymbolState>();
  const expectedWatermarks = new Map<string, number>();
  const wmRows = sqlite
    .prepare("SELECT symbol, last_rowid, open_bucket_ts_ms, skipped_ticks FROM candles_1m_watermark")
    .raw(true)
    .all() as [string, number, number | null, number][];
  for (const [symbol, lastRowid, openBucket, skipped] of wmRows) {
    states.set(symbol, {
      symbol,
      lastRowid,
      storedMaxBucket: openBucket,
      maxBucket: openBucket,
      skipped,
      current: null,
      seenThisRun: false,
    });
    expectedWatermarks.set(symbol, lastRowid);
  }
  // Every run advances all watermarks together, so the smallest one is where reading resumes;
  // a symbol first seen after it has no earlier ticks.
  let cursor = wmRows.length === 0 ? NO_ROWID : Math.min(...wmRows.map((r) => r[1]));
  const tableMaxRowid = sqlite.prepare("SELECT max(rowid) FROM ticks").pluck().get() as number | null;
  const endRowid = tableMaxRowid !== null && options.maxRowid !== undefined ? Math.min(tableMaxRowid, options.maxRowid) : tableMaxRowid;
  const result: MaterializeCandlesResult = { rowsWritten: 0, ticksRead: 0, skippedTicks: 0, symbols: [], durationMs: 0 };
  if (endRowid === null || endRowid <= cursor) {
    result.durationMs = performance.now() - started;
    return result;
  }
  const firstRowid = cursor === NO_ROWID ? (sqlite.prepare("SELECT min(rowid) FROM ticks").pluck().get() as number) - 1 : cursor;

  const readStmt = sqlite
    .prepare("SELECT rowid, ts_ms, symbol, price, size FROM ticks WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?")
    .raw(true);
  const loadBarStmt = sqlite
    .prepare("SELECT open, high, low, close, ticks, volume FROM candles_1m WHERE symbol = ? AND bucket_ts_ms = ?")
    .raw(true);
  const upsertBarStmt = sqlite.prepare(
    `INSERT INTO candles_1m (symbol, bucket_ts_ms, open, high, low, close, ticks, volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (symbol, bucket_ts_ms) DO UPDATE SET open = excluded.open, high = excluded.high, low = excluded.low,
       close = excluded.close, ticks = excluded.ticks, volume = excluded.volume`,
  );
  const upsertWatermarkStmt = sqlite.prepare(
    `INSERT INTO candles_1m_watermark (symbol, last_rowid, open_bucket_ts_ms, updated_ts_ms, skipped_ticks) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (symbol) DO UPDATE SET last_rowid = excluded.last_rowid, open_bucket_ts_ms = excluded.open_bucket_ts_ms,
       updated_ts_ms = excluded.updated_ts_ms, skipped_ticks = excluded.skipped_ticks`,
  );
  const readWatermarksStmt = sqlite.prepare("SELECT symbol, last_rowid FROM candles_1m_watermark").raw(true);

  // Closed (or re-opened older) bars waiting for the next batch commit.
  const pending = new Map<string, { symbol: string; bar: Bar }>();

  const barFor = (state: SymbolState, bucket: number): Bar => {
    const queued = pending.get(barKey(state.symbol, bucket));
    if (queued) return queued.bar;
    if (state.storedMaxBucket !== null && bucket <= state.storedMaxBucket) {
      const row = loadBarStmt.get(state.symbol, bucket) as [number, number, number, number, number, number] | undefined;
      if (row) return { bucket, open: row[0], high: row[1], low: row[2], close: row[3], ticks: row[4], volume: row[5], counted: false };
    }
    return { bucket, open: Number.NaN, high: -Infinity, low: Infinity, close: Number.NaN, ticks: 0, volume: 0, counted: false };
  };

  const writeBar = (symbol: string, bar: Bar): void => {
    upsertBarStmt.run(symbol, bar.bucket, bar.open, bar.high, bar.low, bar.close, bar.ticks, bar.volume);
    if (!bar.counted) {
      bar.counted = true;
      result.rowsWritten++;
    }
  };

  const commit = (throughRowid: number): void => {
    const updatedTsMs = now();
    writeTx(conn, () => {
      // Two concurrent runs would both extend the same bars; the loser must not commit.
      for (const [symbol, lastRowid] of readWatermarksStmt.all() as [string, number][]) {
        if (expectedWatermarks.get(symbol) !== lastRowid)
          throw new TransientDbError(
            `candles_1m_watermark for ${symbol} moved during materialization in ${conn.path} (another run in progress?)`,
            {
              context: { path: conn.path, symbol },
            },
          );
      }
      for (const { symbol, bar } of pending.values()) writeBar(symbol, bar);
      for (const state of states.values()) {
        if (state.current) writeBar(state.symbol, state.current);
        upsertWatermarkStmt.run(state.symbol, throughRowid, state.maxBucket, updatedTsMs, state.skipped);
      }
    });
    pending.clear();
    for (const state of states.values()) {
      state.lastRowid = throughRowid;
      state.storedMaxBucket = state.maxBucket;
      expectedWatermarks.set(state.symbol, throughRowid);
    }
  };

  let lastState: SymbolState | undefined;
  while (cursor < endRowid) {
    throwIfAborted(signal);
    const rows = readStmt.all(cursor, endRowid, readChunk) as [number, number, string, unknown, unknown][];
    if (rows.length === 0) break;
    for (const row of rows) {
      const rowid = row[0];
      const symbol = row[2];
      // Consecutive ticks usually share a symbol; skip the map lookup then.
      let state = lastState !== undefined && lastState.symbol === symbol ? lastState : states.get(symbol);
      if (state === undefined) {
        state = { symbol, lastRowid: NO_ROWID, storedMaxBucket: null, maxBucket: null, skipped: 0, current: null, seenThisRun: false };
        states.set(symbol, state);
      }
      lastState = state;
      if (rowid <= state.lastRowid) continue;
      result.ticksRead++;
      state.seenThisRun = true;
      const tsMs = row[1];
      const price = row[3];
      if (typeof price !== "number" || !(price > 0) || price === Infinity || !Number.isFinite(tsMs)) {
        state.skipped++;
        result.skippedTicks++;
        continue;
      }
      const bucket = Math.floor(tsMs / MINUTE_MS) * MINUTE_MS;
      let bar = state.current;
      if (bar === null || bar.bucket !== bucket) {
        const target = barFor(state, bucket);
        if (bar === null || bucket > bar.bucket) {
          if (bar !== null) pending.set(barKey(symbol, bar.bucket), { symbol, bar });
          state.current = target;
        } else {
          pending.set(barKey(symbol, bucket), { symbol, bar: target });
        }
        if (state.maxBucket === null || bucket > state.maxBucket) state.maxBucket = bucket;
        bar = target;
      }
      if (bar.ticks === 0) bar.open = price;
      if (price > bar.high) bar.high = price;
      if (price < bar.low) bar.low = price;
      bar.close = price;
      bar.ticks++;
      const size = row[4];
      if (typeof size === "number" && Number.isFinite(size)) bar.volume += size;
      if (pending.size >= batchSize) commit(rowid);
    }
    cursor = rows[rows.length - 1]![0];
    progress?.({
      stage: "candles",
      pct: Math.min(100, ((cursor - firstRowid) / (endRowid - firstRowid)) * 100),
      detail: `rowid ${cursor}/${endRowid}`,
    });
  }
  commit(endRowid);

  result.symbols = [...states.values()]
    .filter((s) => s.seenThisRun)
    .map((s) => s.symbol)
    .sort();
  result.durationMs = performance.now() - started;
  logger.info("candles materialized", {
    rowsWritten: result.rowsWritten,
    ticksRead: result.ticksRead,
    skippedTicks: result.skippedTicks,
    symbols: result.symbols,
    throughRowid: endRowid,
    durationMs: Math.round(result.durationMs),
  });
  return result;
}

export interface MaterializeCandlesAsyncOptions extends Omit<MaterializeCandlesOptions, "maxRowid"> {
  /** Rowids per synchronous slice (default 250,000: well under a second of work). */
  sliceRows?: number;
}

/**
 * materializeCandles in rowid slices with an event-loop turn between them. A worker must not
 * block its loop for long (BullMQ renews the job lock from it; a 28M-tick first run takes
 * tens of seconds), and each slice commits its watermark, so this is the same result as one
 * call — the property tests of incremental == full rebuild cover the slice boundaries.
 */
export async function materializeCandlesAsync(conn: Connection, options: MaterializeCandlesAsyncOptions = {}): Promise<MaterializeCandlesResult> {
  const started = performance.now();
  const { sliceRows = 250_000, progress, ...rest } = options;
  const { sqlite } = conn;
  requireTickColumns(conn);
  requireTables(conn, ["candles_1m", "candles_1m_watermark"]);
  const total: MaterializeCandlesResult = { rowsWritten: 0, ticksRead: 0, skippedTicks: 0, symbols: [], durationMs: 0 };
  const symbols = new Set<string>();
  const tableMax = sqlite.prepare("SELECT max(rowid) FROM ticks").pluck().get() as number | null;
  const resumeFrom = (): number | null => {
    const wm = sqlite.prepare("SELECT min(last_rowid) FROM candles_1m_watermark").pluck().get() as number | null;
    if (wm !== null) return wm;
    const first = sqlite.prepare("SELECT min(rowid) FROM ticks").pluck().get() as number | null;
    return first === null ? null : first - 1;
  };
  const first = resumeFrom();
  let rebuild = rest.rebuild ?? false;
  for (let start = first; tableMax !== null && start !== null && (rebuild || start < tableMax); start = resumeFrom()) {
    const r = materializeCandles(conn, {
      ...rest,
      rebuild,
      maxRowid: rebuild ? (sqlite.prepare("SELECT min(rowid) FROM ticks").pluck().get() as number) - 1 + sliceRows : start + sliceRows,
    });
    const wasRebuild = rebuild;
    rebuild = false;
    const next = resumeFrom();
    if (!wasRebuild && (next === null || next <= start)) break; // nothing advanced: done
    total.rowsWritten += r.rowsWritten;
    total.ticksRead += r.ticksRead;
    total.skippedTicks += r.skippedTicks;
    for (const s of r.symbols) symbols.add(s);
    const at = resumeFrom() ?? tableMax;
    if (first !== null) progress?.({ stage: "candles", pct: Math.min(100, ((at - first) / Math.max(1, tableMax - first)) * 100), detail: `rowid ${at}/${tableMax}` });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  total.symbols = [...symbols].sort();
  total.durationMs = performance.now() - started;
  return total;
}
