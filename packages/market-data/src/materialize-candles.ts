// Incremental, exact 1-minute OHLCV materialization from `ticks` into `candles_1m`.
//
// Every batch commit stores the candles touched so far *and* the watermark in one short
// transaction, so the table always equals a full rebuild of the ticks up to `last_rowid`.
// A bar touched again later (the bar still open at the watermark, or an out-of-order tick's
// older bar) is loaded back and extended in rowid order, so the result is bit-identical to a
// full rebuild — even the floating-point volume sum continues the same sequence of additions.
import { availableParallelism } from "node:os";
import { InputDataError, MINUTE_MS, silentLogger, throwIfAborted, type Logger, type ProgressFn } from "@mlq/core";
import { requireColumns, requireTables, type Connection } from "@mlq/db";
import { barKey, CandleStore, emptyBar, newSymbolState, NO_ROWID, type Bar, type SymbolState } from "./candle-store.js";
import { extendBar, type TickSlicePartial } from "./tick-slice.js";
import { forEachTickSlice, type TickSliceRange } from "./tick-slice-pool.js";

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

/** The ticks columns candles are built from (SPEC 2); `size` may hold NULLs but must exist. */
export const TICK_COLUMNS = ["ts_ms", "symbol", "price", "size"] as const;

/** `ticks table missing in <path>` or `ticks.price column missing in <path>` before any SQL runs. */
export function requireTickColumns(conn: Connection): void {
  requireColumns(conn, "ticks", TICK_COLUMNS);
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

  const store = new CandleStore(conn, now);
  if (options.rebuild) store.dropAll(batchSize, signal);

  const states = store.loadStates();
  // Every run advances all watermarks together, so the smallest one is where reading resumes;
  // a symbol first seen after it has no earlier ticks.
  let cursor = states.size === 0 ? NO_ROWID : Math.min(...[...states.values()].map((s) => s.lastRowid));
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

  // Closed (or re-opened older) bars waiting for the next batch commit.
  const pending = new Map<string, { symbol: string; bar: Bar }>();

  const barFor = (state: SymbolState, bucket: number): Bar => {
    const queued = pending.get(barKey(state.symbol, bucket));
    if (queued) return queued.bar;
    if (state.storedMaxBucket !== null && bucket <= state.storedMaxBucket) {
      const stored = store.loadBar(state.symbol, bucket);
      if (stored) return stored;
    }
    return emptyBar(bucket);
  };

  const commit = (throughRowid: number): void => {
    result.rowsWritten += store.commit(pending.values(), states, throughRowid);
    pending.clear();
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
        state = newSymbolState(symbol);
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
  return finishRun(result, states, started, logger, { throughRowid: endRowid });
}

/** Fills in the symbols seen and the duration, and logs the run. */
function finishRun(
  result: MaterializeCandlesResult,
  states: Map<string, SymbolState>,
  started: number,
  logger: Logger,
  fields: Record<string, unknown>,
): MaterializeCandlesResult {
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
    ...fields,
    durationMs: Math.round(result.durationMs),
  });
  return result;
}

export interface MaterializeCandlesAsyncOptions extends Omit<MaterializeCandlesOptions, "maxRowid"> {
  /** Rowids per slice (default 250,000: well under a second of work). */
  sliceRows?: number;
  /**
   * Worker threads reading ticks when at least `parallelMinRows` new rowids wait; default one
   * per core (os.availableParallelism()). 0 reads everything on the calling thread.
   */
  threads?: number;
  /** Fewer new rowids than this are read on the calling thread: starting threads costs more. Default 500,000. */
  parallelMinRows?: number;
}

/**
 * materializeCandles without blocking the event loop for long (a worker renews its BullMQ job
 * lock from it; a 28M-tick first run takes tens of seconds), with the same result as one call.
 * A large run splits the new rowids into slices read by worker threads (see
 * materializeCandlesInWorkers); a small one runs here in slices with an event-loop turn between
 * them. Each slice commits its candles with the watermark.
 */
export async function materializeCandlesAsync(conn: Connection, options: MaterializeCandlesAsyncOptions = {}): Promise<MaterializeCandlesResult> {
  const { threads = availableParallelism(), parallelMinRows = 500_000, ...rest } = options;
  if (!Number.isInteger(threads) || threads < 0) throw new InputDataError(`materializeCandlesAsync: threads must be an integer >= 0, got ${threads}`);
  if (threads > 0) {
    const done = await materializeCandlesInWorkers(conn, { ...rest, threads, parallelMinRows });
    if (done) return done;
  }
  return materializeCandlesInSlices(conn, rest);
}

/** The one-thread path: materializeCandles in rowid slices with an event-loop turn between them. */
async function materializeCandlesInSlices(conn: Connection, options: Omit<MaterializeCandlesAsyncOptions, "threads" | "parallelMinRows">): Promise<MaterializeCandlesResult> {
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

/** Bars merged and written between two event-loop turns in the worker path (~10 ms of work). */
const MERGE_STEP_BARS = 1_000;

export interface MaterializeCandlesInWorkersOptions extends Omit<MaterializeCandlesAsyncOptions, "threads"> {
  /** Worker threads (at least 1). */
  threads: number;
  /** Here: rowids per read query in a worker. Default 5,000 (small arrays stay in V8's young generation). */
  readChunk?: number;
  /** Slices computed beyond the one being committed, at most. Default 2 × threads. */
  maxAhead?: number;
  /** Aggregate the slices on this connection instead of worker threads (tests). */
  inProcess?: boolean;
  /** Bars merged and written between two event-loop turns. Default 1,000. */
  mergeStepBars?: number;
}

/**
 * The many-core path: the new rowids are cut into slices of `sliceRows`; worker threads, each
 * with its own read-only connection, aggregate each slice into partial candles; this thread
 * merges the partials in rowid order (a bar that straddles a slice border, or that a late tick
 * reopens, is extended exactly — see extendBar) and commits each slice's bars with the
 * watermark in one short transaction, as the only writer. Returns null, doing nothing, when the
 * run is too small for threads (fewer than `parallelMinRows` new rowids) or the symbols'
 * watermarks disagree (only the one-thread path resumes from mixed watermarks).
 */
export async function materializeCandlesInWorkers(conn: Connection, options: MaterializeCandlesInWorkersOptions): Promise<MaterializeCandlesResult | null> {
  const started = performance.now();
  const { threads, sliceRows = 250_000, parallelMinRows = 500_000, batchSize = 5_000, readChunk = 5_000, mergeStepBars = MERGE_STEP_BARS, signal, progress } = options;
  const logger = options.logger ?? silentLogger;
  if (!Number.isInteger(threads) || threads < 1) throw new InputDataError(`materializeCandlesInWorkers: threads must be an integer >= 1, got ${threads}`);
  if (!Number.isInteger(sliceRows) || sliceRows < 1) throw new InputDataError(`materializeCandlesInWorkers: sliceRows must be an integer >= 1, got ${sliceRows}`);
  throwIfAborted(signal);
  requireTickColumns(conn);
  requireTables(conn, ["candles_1m", "candles_1m_watermark"]);
  const { sqlite } = conn;
  const store = new CandleStore(conn, options.now ?? Date.now);
  const [minRowid, maxRowid] = sqlite.prepare("SELECT (SELECT min(rowid) FROM ticks), (SELECT max(rowid) FROM ticks)").raw(true).get() as [number | null, number | null];
  if (minRowid === null || maxRowid === null) return null;
  let states = options.rebuild ? new Map<string, SymbolState>() : store.loadStates();
  const watermarks = new Set([...states.values()].map((s) => s.lastRowid));
  if (watermarks.size > 1) return null;
  const cursor = watermarks.size === 1 ? [...watermarks][0]! : minRowid - 1;
  if (maxRowid - cursor < Math.max(1, parallelMinRows)) return null;
  if (options.rebuild) {
    store.dropAll(batchSize, signal);
    states = store.loadStates();
  }

  // Each slice starts at an existing rowid, so a gap in the rowids never makes empty slices.
  const slices: TickSliceRange[] = [];
  const nextRowid = sqlite.prepare("SELECT min(rowid) FROM ticks WHERE rowid > ?").pluck();
  for (let after = cursor; after < maxRowid; ) {
    const through = Math.min(after + sliceRows, maxRowid);
    slices.push({ afterRowid: after, throughRowid: through });
    const next = nextRowid.get(through) as number | null;
    if (next === null) break;
    after = next - 1;
  }
  const result: MaterializeCandlesResult = { rowsWritten: 0, ticksRead: 0, skippedTicks: 0, symbols: [], durationMs: 0 };
  /** The bars the previous slice committed: where a bar straddling the border is found again. */
  let previous = new Map<string, { symbol: string; bar: Bar }>();

  const mergeSlice = async (p: TickSlicePartial): Promise<void> => {
    const stateOf: SymbolState[] = p.symbols.map((symbol, i) => {
      let state = states.get(symbol);
      if (state === undefined) {
        state = newSymbolState(symbol);
        states.set(symbol, state);
      }
      state.seenThisRun = true;
      state.skipped += p.skipped[i]!;
      result.skippedTicks += p.skipped[i]!;
      return state;
    });
    result.ticksRead += p.ticksRead;
    const touched = new Map<string, { symbol: string; bar: Bar }>();
    // A sparse slice can hold many bars: merge and write them a step at a time inside the
    // slice's transaction, with event-loop turns between steps (the job lock renews there).
    result.rowsWritten += await store.commitInSteps(states, p.throughRowid, async (write) => {
      for (let j = 0; j < p.bars; j++) {
        if (j > 0 && j % mergeStepBars === 0) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          throwIfAborted(signal);
        }
        const state = stateOf[p.symbol[j]!]!;
        const bucket = p.bucket[j]!;
        const key = barKey(state.symbol, bucket);
        let bar = previous.get(key)?.bar ?? (state.storedMaxBucket !== null && bucket <= state.storedMaxBucket ? store.loadBar(state.symbol, bucket) : undefined);
        if (bar === undefined) {
          bar = { bucket, open: p.open[j]!, high: p.high[j]!, low: p.low[j]!, close: p.close[j]!, ticks: p.ticks[j]!, volume: p.volume[j]!, counted: false };
        } else {
          extendBar(sqlite, bar, p, j);
        }
        touched.set(key, { symbol: state.symbol, bar });
        if (state.maxBucket === null || bucket > state.maxBucket) state.maxBucket = bucket;
        write(state.symbol, bar);
      }
    });
    previous = touched;
    progress?.({
      stage: "candles",
      pct: Math.min(100, ((p.throughRowid - cursor) / (maxRowid - cursor)) * 100),
      detail: `rowid ${p.throughRowid}/${maxRowid}`,
    });
  };

  await forEachTickSlice(
    slices,
    { threads, dbPath: conn.path, readChunk, signal, ...(options.maxAhead !== undefined && { maxAhead: options.maxAhead }), ...(options.inProcess && { inProcess: sqlite }) },
    mergeSlice,
  );

  return finishRun(result, states, started, logger, { throughRowid: maxRowid, threads, slices: slices.length });
}
