// Write side of candles_1m shared by the one-thread and the worker-thread materializers: the
// per-symbol watermarks, loading a stored bar back, and the batch commit that stores bars and
// watermarks in one short transaction (refused when another run moved a watermark).
import { isTransientSqliteError, throwIfAborted, TransientDbError } from "@mlq/core";
import { writeTx, type Connection } from "@mlq/db";
import type { BarFigures } from "./tick-slice.js";

export interface Bar extends BarFigures {
  bucket: number;
  /** Already counted in this run's rowsWritten. */
  counted: boolean;
}

export interface SymbolState {
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

export const NO_ROWID = Number.MIN_SAFE_INTEGER;

export function barKey(symbol: string, bucket: number): string {
  return `${bucket}\u0000${symbol}`;
}

export function emptyBar(bucket: number): Bar {
  return { bucket, open: Number.NaN, high: -Infinity, low: Infinity, close: Number.NaN, ticks: 0, volume: 0, counted: false };
}

export function newSymbolState(symbol: string): SymbolState {
  return { symbol, lastRowid: NO_ROWID, storedMaxBucket: null, maxBucket: null, skipped: 0, current: null, seenThisRun: false };
}

export class CandleStore {
  /** The watermark each symbol had when this run last read or wrote it. */
  readonly expectedWatermarks = new Map<string, number>();
  private readonly loadBarStmt;
  private readonly upsertBarStmt;
  private readonly upsertWatermarkStmt;
  private readonly readWatermarksStmt;

  constructor(
    private readonly conn: Connection,
    private readonly now: () => number,
  ) {
    const { sqlite } = conn;
    this.loadBarStmt = sqlite.prepare("SELECT open, high, low, close, ticks, volume FROM candles_1m WHERE symbol = ? AND bucket_ts_ms = ?").raw(true);
    this.upsertBarStmt = sqlite.prepare(
      `INSERT INTO candles_1m (symbol, bucket_ts_ms, open, high, low, close, ticks, volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (symbol, bucket_ts_ms) DO UPDATE SET open = excluded.open, high = excluded.high, low = excluded.low,
         close = excluded.close, ticks = excluded.ticks, volume = excluded.volume`,
    );
    this.upsertWatermarkStmt = sqlite.prepare(
      `INSERT INTO candles_1m_watermark (symbol, last_rowid, open_bucket_ts_ms, updated_ts_ms, skipped_ticks) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (symbol) DO UPDATE SET last_rowid = excluded.last_rowid, open_bucket_ts_ms = excluded.open_bucket_ts_ms,
         updated_ts_ms = excluded.updated_ts_ms, skipped_ticks = excluded.skipped_ticks`,
    );
    this.readWatermarksStmt = sqlite.prepare("SELECT symbol, last_rowid FROM candles_1m_watermark").raw(true);
  }

  /**
   * Deletes every watermark, then every candle in short transactions. Watermarks go first:
   * without them the next run rebuilds from the first tick and overwrites any candle still
   * here, so a crash between these transactions is harmless.
   */
  dropAll(batchSize: number, signal?: AbortSignal): void {
    const { sqlite } = this.conn;
    writeTx(this.conn, () => sqlite.prepare("DELETE FROM candles_1m_watermark").run());
    const deleteBatch = sqlite.prepare("DELETE FROM candles_1m WHERE rowid IN (SELECT rowid FROM candles_1m LIMIT ?)");
    while (writeTx(this.conn, () => deleteBatch.run(batchSize).changes) > 0) throwIfAborted(signal);
  }

  /** One state per symbol with a watermark; records them as expected for the commit check. */
  loadStates(): Map<string, SymbolState> {
    const states = new Map<string, SymbolState>();
    const rows = this.conn.sqlite
      .prepare("SELECT symbol, last_rowid, open_bucket_ts_ms, skipped_ticks FROM candles_1m_watermark")
      .raw(true)
      .all() as [string, number, number | null, number][];
    for (const [symbol, lastRowid, openBucket, skipped] of rows) {
      states.set(symbol, { ...newSymbolState(symbol), lastRowid, storedMaxBucket: openBucket, maxBucket: openBucket, skipped });
      this.expectedWatermarks.set(symbol, lastRowid);
    }
    return states;
  }

  /** The stored bar (symbol, bucket), if any. */
  loadBar(symbol: string, bucket: number): Bar | undefined {
    const row = this.loadBarStmt.get(symbol, bucket) as [number, number, number, number, number, number] | undefined;
    return row && { bucket, open: row[0], high: row[1], low: row[2], close: row[3], ticks: row[4], volume: row[5], counted: false };
  }

  /**
   * Stores `bars` and every state's open bar, and moves every watermark to `throughRowid`, in
   * one transaction. Returns how many bars were written for the first time in this run.
   */
  commit(bars: Iterable<{ symbol: string; bar: Bar }>, states: Map<string, SymbolState>, throughRowid: number): number {
    let counted = 0;
    writeTx(this.conn, () => {
      this.checkWatermarks();
      for (const { symbol, bar } of bars) counted += this.writeBar(symbol, bar);
      counted += this.writeStates(states, throughRowid);
    });
    this.committed(states, throughRowid);
    return counted;
  }

  /**
   * commit for a batch too large for one synchronous step: `fill` writes the bars through `write`
   * and may await between them (an event-loop turn for the job lock) while this run holds the
   * write lock; the watermarks and COMMIT come last, a failure rolls everything back. Nothing
   * else may use this connection until it settles.
   */
  async commitInSteps(states: Map<string, SymbolState>, throughRowid: number, fill: (write: (symbol: string, bar: Bar) => void) => Promise<void>): Promise<number> {
    const { sqlite } = this.conn;
    let counted = 0;
    try {
      sqlite.prepare("BEGIN IMMEDIATE").run();
    } catch (err) {
      if (isTransientSqliteError(err)) throw new TransientDbError(`database busy writing to ${this.conn.path}`, { cause: err });
      throw err;
    }
    try {
      this.checkWatermarks();
      await fill((symbol, bar) => {
        counted += this.writeBar(symbol, bar);
      });
      counted += this.writeStates(states, throughRowid);
      sqlite.prepare("COMMIT").run();
    } catch (err) {
      if (sqlite.inTransaction) sqlite.prepare("ROLLBACK").run();
      if (isTransientSqliteError(err)) throw new TransientDbError(`database busy writing to ${this.conn.path}`, { cause: err });
      throw err;
    }
    this.committed(states, throughRowid);
    return counted;
  }

  /** Two concurrent runs would both extend the same bars; the loser must not commit. */
  private checkWatermarks(): void {
    for (const [symbol, lastRowid] of this.readWatermarksStmt.all() as [string, number][]) {
      if (this.expectedWatermarks.get(symbol) !== lastRowid)
        throw new TransientDbError(`candles_1m_watermark for ${symbol} moved during materialization in ${this.conn.path} (another run in progress?)`, {
          context: { path: this.conn.path, symbol },
        });
    }
  }

  /** Upserts one bar; 1 when it is counted in this run's rowsWritten for the first time. */
  private writeBar(symbol: string, bar: Bar): number {
    this.upsertBarStmt.run(symbol, bar.bucket, bar.open, bar.high, bar.low, bar.close, bar.ticks, bar.volume);
    if (bar.counted) return 0;
    bar.counted = true;
    return 1;
  }

  private writeStates(states: Map<string, SymbolState>, throughRowid: number): number {
    const updatedTsMs = this.now();
    let counted = 0;
    for (const state of states.values()) {
      if (state.current) counted += this.writeBar(state.symbol, state.current);
      this.upsertWatermarkStmt.run(state.symbol, throughRowid, state.maxBucket, updatedTsMs, state.skipped);
    }
    return counted;
  }

  private committed(states: Map<string, SymbolState>, throughRowid: number): void {
    for (const state of states.values()) {
      state.lastRowid = throughRowid;
      state.storedMaxBucket = state.maxBucket;
      this.expectedWatermarks.set(state.symbol, throughRowid);
    }
  }
}
