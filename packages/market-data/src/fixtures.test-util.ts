// Test helpers: temp databases with ticks, and a naive reference candle builder.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openMigrated, type Connection } from "@mlq/db";
import type { Candle } from "./types.js";

export interface RawTick {
  tsMs: number;
  symbol: string;
  price: number | null;
  size: number | null;
}

export interface TempDb {
  conn: Connection;
  dir: string;
  dispose(): void;
}

export function tempDb(name = "t.db"): TempDb {
  const dir = mkdtempSync(join(tmpdir(), "mlq-md-"));
  const conn = openMigrated(join(dir, name), { create: true });
  return {
    conn,
    dir,
    dispose: () => {
      conn.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const tick = (tsMs: number, symbol: string, price: number | null, size: number | null = null): RawTick => ({ tsMs, symbol, price, size });

/**
 * Counts event-loop turns while `run` settles: a self-rescheduling immediate runs once per
 * turn, however fast or loaded the machine is.
 */
export async function countEventLoopTurns(run: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let counting = true;
  const count = (): void => {
    turns++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  try {
    await run();
  } finally {
    counting = false;
  }
  return turns;
}

/** Appends ticks; a null price is stored as a non-finite value the bot might write (NaN is not storable). */
export function insertTicks(conn: Connection, ticks: readonly RawTick[]): void {
  const stmt = conn.sqlite.prepare("INSERT INTO ticks (ts_ms, symbol, price, size) VALUES (?, ?, ?, ?)");
  conn.sqlite.transaction(() => {
    for (const t of ticks) stmt.run(t.tsMs, t.symbol, t.price ?? -1, t.size);
  })();
}

/** Straight from the convention: group valid ticks by (symbol, minute) in rowid order. */
export function referenceCandles(ticks: readonly RawTick[]): Candle[] {
  const bars = new Map<string, Candle>();
  for (const t of ticks) {
    if (t.price === null || !(t.price > 0) || !Number.isFinite(t.price)) continue;
    const bucketTsMs = Math.floor(t.tsMs / 60_000) * 60_000;
    const key = `${t.symbol}|${bucketTsMs}`;
    const bar = bars.get(key);
    if (!bar) {
      bars.set(key, {
        symbol: t.symbol,
        bucketTsMs,
        open: t.price,
        high: t.price,
        low: t.price,
        close: t.price,
        ticks: 1,
        volume: t.size ?? 0,
      });
    } else {
      bar.high = Math.max(bar.high, t.price);
      bar.low = Math.min(bar.low, t.price);
      bar.close = t.price;
      bar.ticks++;
      if (t.size !== null) bar.volume += t.size;
    }
  }
  return [...bars.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.bucketTsMs - b.bucketTsMs));
}

export function readAllCandles(conn: Connection): Candle[] {
  return conn.sqlite
    .prepare(
      "SELECT symbol, bucket_ts_ms AS bucketTsMs, open, high, low, close, ticks, volume FROM candles_1m ORDER BY symbol, bucket_ts_ms",
    )
    .all() as Candle[];
}
