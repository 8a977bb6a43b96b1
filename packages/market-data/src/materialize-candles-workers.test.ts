import { existsSync, readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AbortedError, MlqError, TransientDbError } from "@mlq/core";
import { openDatabase, type Connection } from "@mlq/db";
import { countEventLoopTurns, insertTicks, readAllCandles, referenceCandles, tempDb, type RawTick } from "./fixtures.test-util.js";
import { materializeCandles, materializeCandlesAsync, materializeCandlesInWorkers } from "./materialize-candles.js";
import { forEachTickSlice } from "./tick-slice-pool.js";

const T0 = 1_700_000_000_000;
const symbolArb = fc.constantFrom("BTC", "ETH", "SOL");
const priceArb = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: 0.01, max: 1e5, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom<number | null>(0, -2, Infinity, null) },
);
// Decimal sizes as exchanges report them: their binary sums depend on the order of addition.
const sizeArb = fc.option(
  fc.oneof(
    fc.integer({ min: 1, max: 1_000_000 }).map((x) => x / 1000),
    fc.double({ min: 0, max: 10, noNaN: true }),
  ),
  { nil: null, freq: 6 },
);
// Several ticks per minute, mostly forward, with occasional jumps back in time (late ticks).
const stepArb = fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 8_000 }) }, { weight: 1, arbitrary: fc.integer({ min: -300_000, max: 0 }) });
const streamArb = fc.array(fc.record({ step: stepArb, symbol: symbolArb, price: priceArb, size: sizeArb }), { minLength: 1, maxLength: 200, size: "max" });

function toTicks(items: { step: number; symbol: string; price: number | null; size: number | null }[]): RawTick[] {
  let ts = T0;
  return items.map((x) => ({ tsMs: (ts += x.step), symbol: x.symbol, price: x.price, size: x.size }));
}

const watermarks = (conn: Connection) =>
  conn.sqlite.prepare("SELECT symbol, last_rowid, open_bucket_ts_ms, skipped_ticks FROM candles_1m_watermark ORDER BY symbol").raw(true).all();

/** Appends ticks with the given rowids (gaps where the bot's table has them). */
function insertTicksAt(conn: Connection, ticks: readonly RawTick[], rowids: readonly number[]): void {
  const stmt = conn.sqlite.prepare("INSERT INTO ticks (rowid, ts_ms, symbol, price, size) VALUES (?, ?, ?, ?, ?)");
  conn.sqlite.transaction(() => ticks.forEach((t, i) => stmt.run(rowids[i], t.tsMs, t.symbol, t.price ?? -1, t.size)))();
}

/** Linux only: the threads of this process (worker threads are OS threads). */
const threadCount = (): number | null => (existsSync("/proc/self/task") ? readdirSync("/proc/self/task").length : null);

describe("materializeCandlesInWorkers", () => {
  it("equals one pass over random tick streams whatever the slice borders and rowid gaps (partials merged on this thread)", async () => {
    // Rowid gaps: mostly none, sometimes a few, rarely larger than a slice.
    const gapsArb = fc.array(fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 30 }) }, { weight: 1, arbitrary: fc.constant(5_000) }), {
      minLength: 200,
      maxLength: 200,
    });
    await fc.assert(
      fc.asyncProperty(streamArb, gapsArb, fc.integer({ min: 0, max: 199 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4 }), async (items, gaps, split, sliceRows, threads) => {
        const ticks = toTicks(items);
        let rowid = 0;
        const rowids = ticks.map((_, i) => (rowid += 1 + gaps[i]!));
        const head = Math.min(split, ticks.length - 1);
        const par = tempDb("par.db");
        const one = tempDb("one.db");
        try {
          // An incremental part first (one thread), so the borders also land inside stored bars.
          insertTicksAt(par.conn, ticks.slice(0, head), rowids);
          if (head > 0) materializeCandles(par.conn, { readChunk: 7 });
          insertTicksAt(par.conn, ticks.slice(head), rowids.slice(head));
          const r = await materializeCandlesInWorkers(par.conn, { threads, sliceRows, parallelMinRows: 0, readChunk: 5, inProcess: true, maxAhead: threads + 1, mergeStepBars: 3 });
          expect(r).not.toBeNull();
          insertTicksAt(one.conn, ticks, rowids);
          const whole = materializeCandles(one.conn);
          expect(readAllCandles(par.conn)).toEqual(readAllCandles(one.conn));
          expect(readAllCandles(par.conn)).toEqual(referenceCandles(ticks));
          expect(watermarks(par.conn)).toEqual(watermarks(one.conn));
          if (head === 0) {
            expect(r!.ticksRead).toBe(whole.ticksRead);
            expect(r!.skippedTicks).toBe(whole.skippedTicks);
            expect(r!.symbols).toEqual(whole.symbols);
          }
        } finally {
          par.dispose();
          one.dispose();
        }
      }),
      { numRuns: 50, seed: 14 },
    );
  });

  it("equals one pass on real worker threads, and a second run finds nothing new", async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.integer({ min: 1, max: 60 }), async (items, sliceRows) => {
        const ticks = toTicks(items);
        const db = tempDb();
        try {
          insertTicks(db.conn, ticks);
          const r = await materializeCandlesAsync(db.conn, { threads: 2, sliceRows, parallelMinRows: 1, readChunk: 9 });
          expect(readAllCandles(db.conn)).toEqual(referenceCandles(ticks));
          expect(r.ticksRead).toBe(ticks.length);
          expect((await materializeCandlesAsync(db.conn, { threads: 2, parallelMinRows: 1 })).ticksRead).toBe(0);
        } finally {
          db.dispose();
        }
      }),
      { numRuns: 12, seed: 15 },
    );
  });

  it("rebuilds from the first tick and counts each candle row once", async () => {
    const db = tempDb();
    try {
      const ticks = Array.from({ length: 3_000 }, (_, i) => ({ tsMs: T0 + i * 1_500, symbol: i % 3 ? "BTC" : "ETH", price: 100 + Math.sin(i), size: (i % 7) / 3 }));
      insertTicks(db.conn, ticks);
      materializeCandles(db.conn);
      db.conn.sqlite.prepare("UPDATE candles_1m SET high = 999").run();
      const r = await materializeCandlesAsync(db.conn, { rebuild: true, threads: 2, sliceRows: 333, parallelMinRows: 1 });
      const expected = referenceCandles(ticks);
      expect(readAllCandles(db.conn)).toEqual(expected);
      expect(r.rowsWritten).toBe(expected.length);
    } finally {
      db.dispose();
    }
  });

  it("leaves small increments and mixed watermarks to the one-thread path", async () => {
    const db = tempDb();
    try {
      insertTicks(db.conn, toTicks([{ step: 0, symbol: "BTC", price: 1, size: 1 }]));
      expect(await materializeCandlesInWorkers(db.conn, { threads: 2, parallelMinRows: 2 })).toBeNull();
      materializeCandles(db.conn);
      db.conn.sqlite.prepare("INSERT INTO candles_1m_watermark (symbol, last_rowid, open_bucket_ts_ms, updated_ts_ms, skipped_ticks) VALUES ('ETH', 0, NULL, 0, 0)").run();
      insertTicks(db.conn, toTicks(Array.from({ length: 10 }, () => ({ step: 1000, symbol: "ETH", price: 2, size: 1 }))));
      expect(await materializeCandlesInWorkers(db.conn, { threads: 2, parallelMinRows: 1 })).toBeNull();
      expect(readAllCandles(db.conn).map((c) => c.symbol)).toEqual(["BTC"]);
    } finally {
      db.dispose();
    }
  });

  it("gives the event loop a turn between slices", async () => {
    const db = tempDb();
    try {
      insertTicks(db.conn, toTicks(Array.from({ length: 2_000 }, (_, i) => ({ step: 700, symbol: i % 2 ? "BTC" : "ETH", price: 100 + i, size: 1 }))));
      // An in-process slice runs in its own event-loop turn: 20 slices, at least 19 turns between them.
      const turns = await countEventLoopTurns(() => materializeCandlesInWorkers(db.conn, { threads: 1, sliceRows: 100, parallelMinRows: 1, inProcess: true }));
      expect(turns).toBeGreaterThanOrEqual(20 - 1);
      expect(readAllCandles(db.conn).length).toBeGreaterThan(0);
    } finally {
      db.dispose();
    }
  });

  it("stops on abort with AbortedError, ends its threads, and the next run resumes to the same result", async () => {
    const db = tempDb();
    try {
      const ticks = Array.from({ length: 5_000 }, (_, i) => ({ tsMs: T0 + i * 900, symbol: i % 2 ? "BTC" : "ETH", price: 100 + Math.cos(i), size: i % 5 }));
      insertTicks(db.conn, ticks);
      await materializeCandlesInWorkers(db.conn, { threads: 2, parallelMinRows: 1, sliceRows: 4_000 }); // warm-up: threads start and end once
      db.conn.sqlite.exec("DELETE FROM candles_1m; DELETE FROM candles_1m_watermark;");
      const before = threadCount();
      const controller = new AbortController();
      const run = materializeCandlesInWorkers(db.conn, {
        threads: 2,
        sliceRows: 100,
        parallelMinRows: 1,
        signal: controller.signal,
        progress: (p) => p.pct > 30 && controller.abort(new Error("job cancelled")),
      });
      await expect(run).rejects.toThrow(AbortedError);
      await expect(run).rejects.toThrow(/job cancelled/);
      if (before !== null) expect(threadCount()).toBe(before);
      const committed = watermarks(db.conn)[0] as [string, number];
      expect(committed[1]).toBeGreaterThan(0);
      expect(committed[1]).toBeLessThan(5_000);
      await materializeCandlesAsync(db.conn, { threads: 2, parallelMinRows: 1, sliceRows: 700 });
      expect(readAllCandles(db.conn)).toEqual(referenceCandles(ticks));
    } finally {
      db.dispose();
    }
  });
});

describe("materializeCandlesInWorkers: the one writer", () => {
  const ticks = Array.from({ length: 3_000 }, (_, i) => ({ tsMs: T0 + i * 20_000, symbol: ["BTC", "ETH", "SOL"][i % 3]!, price: 50 + (i % 17), size: 1 + (i % 3) }));

  it("refuses to commit when another run moved the watermark", async () => {
    const db = tempDb();
    try {
      insertTicks(db.conn, ticks);
      const otherConn = openDatabase(db.conn.path);
      try {
        let moved = false;
        const run = materializeCandlesInWorkers(db.conn, {
          threads: 2,
          sliceRows: 500,
          parallelMinRows: 1,
          progress: () => {
            if (!moved) otherConn.sqlite.prepare("UPDATE candles_1m_watermark SET last_rowid = last_rowid + 1").run();
            moved = true;
          },
        });
        await expect(run).rejects.toThrow(TransientDbError);
        await expect(run).rejects.toThrow(/candles_1m_watermark for .* moved during materialization/);
      } finally {
        otherConn.close();
      }
    } finally {
      db.dispose();
    }
  });
});

describe("forEachTickSlice", () => {
  it("names the database when a worker cannot read it", async () => {
    const run = forEachTickSlice([{ afterRowid: 0, throughRowid: 10 }], { threads: 1, dbPath: "/nonexistent/mlq.db", readChunk: 10 }, () => undefined);
    await expect(run).rejects.toThrow(MlqError);
    await expect(run).rejects.toThrow(/ticks 1\.\.10 of \/nonexistent\/mlq\.db/);
  });
});
