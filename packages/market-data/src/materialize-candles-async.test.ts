import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countEventLoopTurns, insertTicks, readAllCandles, referenceCandles, tempDb, type RawTick } from "./fixtures.test-util.js";
import { materializeCandles, materializeCandlesAsync } from "./materialize-candles.js";

const T0 = Date.UTC(2026, 0, 1);
const tickArb = fc.record({
  dtMs: fc.integer({ min: 0, max: 90_000 }),
  symbol: fc.constantFrom("BTC", "ETH"),
  price: fc.oneof(fc.double({ min: 1, max: 100, noNaN: true }), fc.constant(-1), fc.constant(0)),
  size: fc.option(fc.double({ min: 0, max: 5, noNaN: true }), { nil: null }),
});

function toTicks(steps: { dtMs: number; symbol: string; price: number; size: number | null }[]): RawTick[] {
  let ts = T0;
  return steps.map((s) => ({ tsMs: (ts += s.dtMs), symbol: s.symbol, price: s.price, size: s.size }));
}

describe("materializeCandlesAsync", () => {
  it("equals one synchronous run and the reference, whatever the slice size", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(tickArb, { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 80 }), async (steps, sliceRows) => {
        const ticks = toTicks(steps);
        const a = tempDb("a.db");
        const b = tempDb("b.db");
        try {
          insertTicks(a.conn, ticks);
          insertTicks(b.conn, ticks);
          const sliced = await materializeCandlesAsync(a.conn, { sliceRows });
          const whole = materializeCandles(b.conn);
          expect(readAllCandles(a.conn)).toEqual(readAllCandles(b.conn));
          expect(readAllCandles(a.conn)).toEqual(referenceCandles(ticks));
          expect(sliced.ticksRead).toBe(whole.ticksRead);
          expect(sliced.skippedTicks).toBe(whole.skippedTicks);
          // A second run finds nothing new.
          expect((await materializeCandlesAsync(a.conn, { sliceRows })).ticksRead).toBe(0);
        } finally {
          a.dispose();
          b.dispose();
        }
      }),
      { numRuns: 40, seed: 11 },
    );
  });

  it("yields to the event loop between slices", async () => {
    const db = tempDb();
    try {
      insertTicks(db.conn, toTicks(Array.from({ length: 1000 }, (_, i) => ({ dtMs: 1000, symbol: i % 2 ? "BTC" : "ETH", price: 100 + i, size: 1 }))));
      // 1000 rowids in slices of 50 are 20 slices, with at least one event-loop turn between two of them.
      const turns = await countEventLoopTurns(() => materializeCandlesAsync(db.conn, { sliceRows: 50 }));
      expect(turns).toBeGreaterThanOrEqual(19);
      expect(readAllCandles(db.conn).length).toBeGreaterThan(0);
    } finally {
      db.dispose();
    }
  });
});
