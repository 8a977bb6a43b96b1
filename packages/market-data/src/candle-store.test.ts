import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAllCandles, tempDb, type TempDb } from "./fixtures.test-util.js";
import { CandleStore, newSymbolState, type Bar } from "./candle-store.js";

let t: TempDb;
beforeEach(() => {
  t = tempDb();
});
afterEach(() => t.dispose());

const bar = (bucket: number, price: number): Bar => ({ bucket, open: price, high: price, low: price, close: price, ticks: 1, volume: 0, counted: false });
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const watermarks = () => t.conn.sqlite.prepare("SELECT symbol, last_rowid, open_bucket_ts_ms FROM candles_1m_watermark").raw(true).all();

describe("CandleStore.commitInSteps", () => {
  it("writes bars across event-loop turns in one transaction, then the watermarks", async () => {
    const store = new CandleStore(t.conn, () => 1);
    const states = new Map([["BTC", { ...newSymbolState("BTC"), maxBucket: 120_000 }]]);
    const written = await store.commitInSteps(states, 42, async (write) => {
      write("BTC", bar(0, 10));
      await turn();
      // Still one open transaction between the steps.
      expect(t.conn.sqlite.inTransaction).toBe(true);
      write("BTC", bar(60_000, 11));
      await turn();
      write("BTC", bar(120_000, 12));
    });
    expect(written).toBe(3);
    expect(t.conn.sqlite.inTransaction).toBe(false);
    expect(readAllCandles(t.conn).map((c) => c.close)).toEqual([10, 11, 12]);
    expect(watermarks()).toEqual([["BTC", 42, 120_000]]);
    expect(states.get("BTC")).toMatchObject({ lastRowid: 42, storedMaxBucket: 120_000 });
  });

  it("rolls everything back when a step fails, leaving the watermark where it was", async () => {
    const store = new CandleStore(t.conn, () => 1);
    const states = new Map([["BTC", newSymbolState("BTC")]]);
    const run = store.commitInSteps(states, 42, async (write) => {
      write("BTC", bar(0, 10));
      await turn();
      throw new Error("aborted mid-slice");
    });
    await expect(run).rejects.toThrow("aborted mid-slice");
    expect(t.conn.sqlite.inTransaction).toBe(false);
    expect(readAllCandles(t.conn)).toEqual([]);
    expect(watermarks()).toEqual([]);
    expect(states.get("BTC")!.lastRowid).toBe(newSymbolState("BTC").lastRowid);
  });
});
