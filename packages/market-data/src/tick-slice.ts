// Partial 1-minute candles of one rowid range of `ticks`, computed without touching candles_1m,
// and the exact merge of a later range's partial bar into an earlier bar. Worker threads run
// aggregateTickSlice on their own read-only connections; the main thread merges in rowid order.
import { TransientDbError } from "@mlq/core";
import type { Sqlite } from "@mlq/db";
import type { Candle } from "./types.js";

/**
 * The bars one rowid range (after, through] produces, as columns (cheap to transfer between
 * threads). Each (symbol, minute) appears once; its figures cover only this range's ticks, in
 * rowid order; `volume` is summed from 0 and `sizes` counts the sizes added.
 */
export interface TickSlicePartial {
  afterRowid: number;
  throughRowid: number;
  /** Ticks read (valid or not). */
  ticksRead: number;
  /** Every symbol with a tick in the range, valid or not; bars refer to it by index. */
  symbols: string[];
  /** Ticks skipped for a bad price or timestamp, per symbol index. */
  skipped: number[];
  bars: number;
  symbol: Int32Array;
  bucket: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  ticks: Int32Array;
  volume: Float64Array;
  sizes: Int32Array;
  /** A rowid span holding every tick of the bar in this range (the read ranges of its first and last tick). */
  firstRowid: Float64Array;
  lastRowid: Float64Array;
}

/** The typed-array buffers of a partial (its transfer list for postMessage). */
export function partialBuffers(p: TickSlicePartial): ArrayBuffer[] {
  return [p.symbol, p.bucket, p.open, p.high, p.low, p.close, p.ticks, p.volume, p.sizes, p.firstRowid, p.lastRowid].map((a) => a.buffer as ArrayBuffer);
}

/**
 * Reads ticks with afterRowid < rowid ≤ throughRowid in rowid ranges of `readChunk` (each its
 * own short read; an empty range jumps to the next existing rowid) and aggregates them per
 * (symbol, minute) exactly as materializeCandles does tick by tick. The rowid column itself is
 * not read (a fifth of the cost): a bar's rowid span is known to the read range. Self-contained
 * (no imports, no module-level names): its source text is what the candle worker threads run.
 */
export function aggregateTickSlice(sqlite: Sqlite, afterRowid: number, throughRowid: number, readChunk: number): TickSlicePartial {
  const read = sqlite.prepare("SELECT ts_ms, symbol, price, size FROM ticks WHERE rowid > ? AND rowid <= ? ORDER BY rowid").raw(true);
  const nextRowid = sqlite.prepare("SELECT min(rowid) FROM ticks WHERE rowid > ? AND rowid <= ?").pluck();
  const symbolIds = new Map<unknown, number>();
  const symbols: string[] = [];
  const skipped: number[] = [];
  /** Per symbol index: the bar its last valid tick went to (-1: none yet). */
  const current: number[] = [];
  /** `${symbol index}|${bucket}` -> bar index, for ticks that go back to an older bar. */
  const older = new Map<string, number>();
  const bSym: number[] = [];
  const bBucket: number[] = [];
  const bOpen: number[] = [];
  const bHigh: number[] = [];
  const bLow: number[] = [];
  const bClose: number[] = [];
  const bTicks: number[] = [];
  const bVolume: number[] = [];
  const bSizes: number[] = [];
  const bFirst: number[] = [];
  const bLast: number[] = [];
  let ticksRead = 0;
  let lastSymbol: unknown = undefined;
  let lastId = -1;
  let cursor = afterRowid;
  while (cursor < throughRowid) {
    const upTo = Math.min(cursor + readChunk, throughRowid);
    const rows = read.all(cursor, upTo) as [unknown, unknown, unknown, unknown][];
    if (rows.length === 0) {
      const next = nextRowid.get(upTo, throughRowid) as number | null;
      if (next === null) break;
      cursor = next - 1;
      continue;
    }
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const symbol = row[1];
      let id = lastId;
      if (symbol !== lastSymbol || id < 0) {
        const known = symbolIds.get(symbol);
        if (known === undefined) {
          id = symbols.length;
          symbolIds.set(symbol, id);
          symbols.push(symbol as string);
          skipped.push(0);
          current.push(-1);
        } else id = known;
        lastSymbol = symbol;
        lastId = id;
      }
      ticksRead++;
      const tsMs = row[0];
      const price = row[2];
      if (typeof price !== "number" || !(price > 0) || price === Infinity || !Number.isFinite(tsMs)) {
        skipped[id]!++;
        continue;
      }
      const bucket = Math.floor((tsMs as number) / 60_000) * 60_000;
      let b = current[id]!;
      if (b < 0 || bBucket[b] !== bucket) {
        if (b >= 0) older.set(`${id}|${bBucket[b]}`, b);
        const key = `${id}|${bucket}`;
        const found = older.get(key);
        if (found === undefined) {
          b = bSym.length;
          bSym.push(id);
          bBucket.push(bucket);
          bOpen.push(price);
          bHigh.push(price);
          bLow.push(price);
          bClose.push(price);
          bTicks.push(0);
          bVolume.push(0);
          bSizes.push(0);
          bFirst.push(cursor + 1);
          bLast.push(upTo);
        } else {
          b = found;
          older.delete(key);
        }
        current[id] = b;
      }
      if (price > bHigh[b]!) bHigh[b] = price;
      if (price < bLow[b]!) bLow[b] = price;
      bClose[b] = price;
      bTicks[b]!++;
      bLast[b] = upTo;
      const size = row[3];
      if (typeof size === "number" && Number.isFinite(size)) {
        bVolume[b]! += size;
        bSizes[b]!++;
      }
    }
    cursor = upTo;
  }
  return {
    afterRowid,
    throughRowid,
    ticksRead,
    symbols,
    skipped,
    bars: bSym.length,
    symbol: Int32Array.from(bSym),
    bucket: Float64Array.from(bBucket),
    open: Float64Array.from(bOpen),
    high: Float64Array.from(bHigh),
    low: Float64Array.from(bLow),
    close: Float64Array.from(bClose),
    ticks: Int32Array.from(bTicks),
    volume: Float64Array.from(bVolume),
    sizes: Int32Array.from(bSizes),
    firstRowid: Float64Array.from(bFirst),
    lastRowid: Float64Array.from(bLast),
  };
}

/** A bar's figures as candles_1m stores them. */
export type BarFigures = Pick<Candle, "open" | "high" | "low" | "close" | "ticks" | "volume">;

/**
 * Extends `bar` (ticks before the partial's range) with bar `j` of a later range's partial, in
 * place, to exactly what one pass over both would give. Floating-point addition is not
 * associative: `bar.volume + partVolume` equals continuing the sum tick by tick only when the
 * part added at most one size or the bar's sum is still 0; otherwise the part's sizes are read
 * again (the part's own rowid span, usually one minute of ticks) and added one by one.
 */
export function extendBar(sqlite: Sqlite, bar: BarFigures, p: TickSlicePartial, j: number): void {
  if (bar.ticks === 0) bar.open = p.open[j]!;
  if (p.high[j]! > bar.high) bar.high = p.high[j]!;
  if (p.low[j]! < bar.low) bar.low = p.low[j]!;
  bar.close = p.close[j]!;
  bar.ticks += p.ticks[j]!;
  const sizes = p.sizes[j]!;
  if (sizes === 0) return;
  if (sizes === 1 || bar.volume === 0) {
    bar.volume += p.volume[j]!;
    return;
  }
  const rows = sqlite
    .prepare("SELECT ts_ms, price, size FROM ticks WHERE rowid >= ? AND rowid <= ? AND symbol = ? ORDER BY rowid")
    .raw(true)
    .all(p.firstRowid[j]!, p.lastRowid[j]!, p.symbols[p.symbol[j]!]) as [unknown, unknown, unknown][];
  const bucket = p.bucket[j]!;
  let volume = bar.volume;
  let added = 0;
  for (const [tsMs, price, size] of rows) {
    if (typeof price !== "number" || !(price > 0) || price === Infinity || typeof tsMs !== "number" || !Number.isFinite(tsMs)) continue;
    if (Math.floor(tsMs / 60_000) * 60_000 !== bucket || typeof size !== "number" || !Number.isFinite(size)) continue;
    volume += size;
    added++;
  }
  if (added !== sizes)
    throw new TransientDbError(`ticks of ${p.symbols[p.symbol[j]!]} at rowids ${p.firstRowid[j]}..${p.lastRowid[j]} changed during candle materialization in ${sqlite.name}`, {
      context: { path: sqlite.name },
    });
  bar.volume = volume;
}
