import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AbortedError, TransientDbError } from "@mlq/core";
import { openDatabase } from "@mlq/db";
import { insertTicks, readAllCandles, referenceCandles, tempDb, tick, type TempDb } from "./fixtures.test-util.js";
import { materializeCandles, materializeCandlesAsync } from "./materialize-candles.js";

let t: TempDb;
beforeEach(() => {
  t = tempDb();
});
afterEach(() => t.dispose());

const M = 60_000;

function watermarks() {
  return t.conn.sqlite
    .prepare("SELECT symbol, last_rowid, open_bucket_ts_ms, skipped_ticks FROM candles_1m_watermark ORDER BY symbol")
    .raw(true)
    .all();
}

describe("materializeCandles", () => {
  it("builds exact OHLCV bars, skipping and counting bad prices", () => {
    insertTicks(t.conn, [
      tick(10 * M + 1_000, "BTC", 100, 0.5), // rowid 1
      tick(10 * M + 2_000, "ETH", 10, null),
      tick(10 * M + 3_000, "BTC", 103, 1.5),
      tick(10 * M + 4_000, "BTC", 0, 9), // skipped
      tick(10 * M + 5_000, "BTC", 99, null),
      tick(10 * M + 59_999, "BTC", 101, 1),
      tick(11 * M, "BTC", 102, 2),
      tick(11 * M + 1, "ETH", -1, 1), // skipped
      tick(13 * M, "ETH", Infinity, 1), // skipped
    ]);
    const r = materializeCandles(t.conn, { now: () => 777 });
    expect(r).toMatchObject({ rowsWritten: 3, ticksRead: 9, skippedTicks: 3, symbols: ["BTC", "ETH"] });
    expect(readAllCandles(t.conn)).toEqual([
      { symbol: "BTC", bucketTsMs: 10 * M, open: 100, high: 103, low: 99, close: 101, ticks: 4, volume: 3 },
      { symbol: "BTC", bucketTsMs: 11 * M, open: 102, high: 102, low: 102, close: 102, ticks: 1, volume: 2 },
      { symbol: "ETH", bucketTsMs: 10 * M, open: 10, high: 10, low: 10, close: 10, ticks: 1, volume: 0 },
    ]);
    expect(watermarks()).toEqual([
      ["BTC", 9, 11 * M, 1],
      ["ETH", 9, 10 * M, 2],
    ]);
  });

  it("reads only ticks past the watermark and recomputes the bar still open there", () => {
    insertTicks(t.conn, [tick(0, "BTC", 10, 1), tick(1_000, "BTC", 12, 1)]);
    materializeCandles(t.conn);
    insertTicks(t.conn, [tick(2_000, "BTC", 9, 1), tick(M, "BTC", 11, 1)]);
    const second = materializeCandles(t.conn);
    expect(second).toMatchObject({ ticksRead: 2, rowsWritten: 2, skippedTicks: 0 });
    expect(readAllCandles(t.conn)).toEqual([
      { symbol: "BTC", bucketTsMs: 0, open: 10, high: 12, low: 9, close: 9, ticks: 3, volume: 3 },
      { symbol: "BTC", bucketTsMs: M, open: 11, high: 11, low: 11, close: 11, ticks: 1, volume: 1 },
    ]);
    expect(materializeCandles(t.conn)).toMatchObject({ ticksRead: 0, rowsWritten: 0 });
  });

  it("merges a late out-of-order tick into its older bar", () => {
    insertTicks(t.conn, [tick(0, "BTC", 10), tick(5 * M, "BTC", 20)]);
    materializeCandles(t.conn);
    insertTicks(t.conn, [tick(30_000, "BTC", 50, 2)]);
    materializeCandles(t.conn);
    expect(readAllCandles(t.conn)[0]).toEqual({
      symbol: "BTC",
      bucketTsMs: 0,
      open: 10,
      high: 50,
      low: 10,
      close: 50,
      ticks: 2,
      volume: 2,
    });
  });

  it("picks up a symbol that first appears after the watermark", () => {
    insertTicks(t.conn, [tick(0, "BTC", 10)]);
    materializeCandles(t.conn);
    insertTicks(t.conn, [tick(M, "SOL", 3)]);
    expect(materializeCandles(t.conn).symbols).toEqual(["SOL"]);
    expect(readAllCandles(t.conn).map((c) => c.symbol)).toEqual(["BTC", "SOL"]);
  });

  it("rebuild drops everything and starts from the first tick", () => {
    insertTicks(t.conn, [tick(0, "BTC", 10), tick(M, "BTC", 11)]);
    materializeCandles(t.conn);
    t.conn.sqlite.prepare("UPDATE candles_1m SET high = 999").run();
    expect(materializeCandles(t.conn, { rebuild: true, batchSize: 1 })).toMatchObject({ ticksRead: 2, rowsWritten: 2 });
    expect(readAllCandles(t.conn).map((c) => c.high)).toEqual([10, 11]);
  });

  it("stops with AbortedError and resumes to the same result", () => {
    const ticks = Array.from({ length: 500 }, (_, i) => tick(i * 7_000, i % 3 === 0 ? "ETH" : "BTC", 100 + Math.sin(i), i % 5));
    insertTicks(t.conn, ticks);
    const controller = new AbortController();
    expect(() =>
      materializeCandles(t.conn, {
        readChunk: 50,
        batchSize: 3,
        signal: controller.signal,
        progress: (p) => p.pct > 40 && controller.abort(),
      }),
    ).toThrow(AbortedError);
    const partial = materializeCandles(t.conn);
    expect(partial.ticksRead).toBeLessThan(500);
    expect(partial.ticksRead).toBeGreaterThan(0);
    expect(readAllCandles(t.conn)).toEqual(referenceCandles(ticks));
  });

  it("refuses to commit when another run moved the watermark", () => {
    insertTicks(
      t.conn,
      Array.from({ length: 100 }, (_, i) => tick(i * M, "BTC", 1)),
    );
    materializeCandles(t.conn, { readChunk: 10 });
    insertTicks(
      t.conn,
      Array.from({ length: 100 }, (_, i) => tick((100 + i) * M, "BTC", 1)),
    );
    const other = openDatabase(t.conn.path);
    try {
      let interfered = false;
      const run = () =>
        materializeCandles(t.conn, {
          readChunk: 10,
          batchSize: 5,
          progress: () => {
            if (!interfered) other.sqlite.prepare("UPDATE candles_1m_watermark SET last_rowid = last_rowid + 1").run();
            interfered = true;
          },
        });
      expect(run).toThrow(TransientDbError);
    } finally {
      other.close();
    }
  });

  it("names the table and path when ticks is missing", () => {
    t.conn.sqlite.exec("DROP TABLE ticks");
    expect(() => materializeCandles(t.conn)).toThrow(/ticks table missing in .*t\.db/);
  });

  it("names ticks.price and the path when the bot's ticks table lacks that column", async () => {
    t.conn.sqlite.exec("ALTER TABLE ticks DROP COLUMN price");
    expect(() => materializeCandles(t.conn)).toThrow(/^ticks\.price column missing in .*t\.db$/);
    await expect(materializeCandlesAsync(t.conn)).rejects.toThrow(/^ticks\.price column missing in .*t\.db$/);
  });

  it("incremental runs over random splits equal a full rebuild and the reference", () => {
    const symbol = fc.constantFrom("BTC", "ETH", "SOL");
    const price = fc.oneof(
      { weight: 8, arbitrary: fc.double({ min: 0.01, max: 1e5, noNaN: true }) },
      { weight: 1, arbitrary: fc.constantFrom<number | null>(0, -2, Infinity, null) },
    );
    const size = fc.option(fc.double({ min: 0, max: 10, noNaN: true }), { nil: null });
    // Mostly forward steps with occasional jumps back in time (late ticks).
    const step = fc.oneof(
      { weight: 9, arbitrary: fc.integer({ min: 0, max: 40_000 }) },
      { weight: 1, arbitrary: fc.integer({ min: -300_000, max: 0 }) },
    );
    const stream = fc.array(fc.record({ step, symbol, price, size }), { minLength: 1, maxLength: 150 });
    const splits = fc.uniqueArray(fc.integer({ min: 1, max: 149 }), { maxLength: 4 });
    const incremental = tempDb("inc.db");
    const full = tempDb("full.db");
    const reset = (db: TempDb) => db.conn.sqlite.exec("DELETE FROM ticks; DELETE FROM candles_1m; DELETE FROM candles_1m_watermark;");
    try {
      fc.assert(
        fc.property(stream, splits, fc.integer({ min: 1, max: 6 }), (items, cuts, batchSize) => {
          let ts = 1_700_000_000_000;
          const ticks = items.map((x) => tick((ts += x.step), x.symbol, x.price, x.size));
          reset(incremental);
          reset(full);
          {
            const bounds = [0, ...cuts.filter((c) => c < ticks.length).sort((a, b) => a - b), ticks.length];
            let skipped = 0;
            for (let i = 1; i < bounds.length; i++) {
              insertTicks(incremental.conn, ticks.slice(bounds[i - 1], bounds[i]));
              skipped += materializeCandles(incremental.conn, { batchSize, readChunk: 7 }).skippedTicks;
            }
            insertTicks(full.conn, ticks);
            const fullRun = materializeCandles(full.conn);
            const expected = referenceCandles(ticks);
            expect(readAllCandles(incremental.conn)).toEqual(readAllCandles(full.conn));
            expect(readAllCandles(full.conn)).toEqual(expected);
            expect(skipped).toBe(fullRun.skippedTicks);
            expect(fullRun.rowsWritten).toBe(expected.length);
          }
        }),
        { numRuns: 80 },
      );
    } finally {
      incremental.dispose();
      full.dispose();
    }
  });
});
