import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { insertTicks, tempDb, tick, type TempDb } from "./fixtures.test-util.js";
import { aggregateTickSlice, extendBar, type BarFigures } from "./tick-slice.js";

let t: TempDb;
beforeEach(() => {
  t = tempDb();
});
afterEach(() => t.dispose());

const M = 60_000;

describe("aggregateTickSlice", () => {
  it("aggregates one rowid range per (symbol, minute), skipping and counting bad ticks", () => {
    insertTicks(t.conn, [
      tick(10 * M, "BTC", 1), // rowid 1: outside the range
      tick(10 * M + 1, "BTC", 100, 0.5), // 2
      tick(10 * M + 2, "ETH", 0, 1), // 3: skipped
      tick(11 * M, "BTC", 103, null), // 4
      tick(10 * M + 3, "BTC", 99, 2), // 5: late, back to the 10-minute bar
      tick(11 * M + 1, "BTC", 104, 1), // 6
      tick(12 * M, "ETH", 10, 3), // 7: outside the range
    ]);
    const p = aggregateTickSlice(t.conn.sqlite, 1, 6, 2);
    expect({ ticksRead: p.ticksRead, symbols: p.symbols, skipped: p.skipped, bars: p.bars }).toEqual({
      ticksRead: 5,
      symbols: ["BTC", "ETH"],
      skipped: [0, 1],
      bars: 2,
    });
    const bars = Array.from({ length: p.bars }, (_, j) => ({
      symbol: p.symbols[p.symbol[j]!],
      bucket: p.bucket[j],
      ohlc: [p.open[j], p.high[j], p.low[j], p.close[j]],
      ticks: p.ticks[j],
      volume: p.volume[j],
      sizes: p.sizes[j],
      rowids: [p.firstRowid[j], p.lastRowid[j]],
    }));
    expect(bars).toEqual([
      { symbol: "BTC", bucket: 10 * M, ohlc: [100, 100, 99, 99], ticks: 2, volume: 2.5, sizes: 2, rowids: [2, 5] },
      { symbol: "BTC", bucket: 11 * M, ohlc: [103, 104, 103, 104], ticks: 2, volume: 1, sizes: 1, rowids: [4, 6] },
    ]);
  });
});

describe("extendBar", () => {
  it("continues the volume sum tick by tick when the later part added several sizes", () => {
    // 0.1 + 0.2 + 0.3 (one pass) differs from 0.1 + (0.2 + 0.3) in floating point.
    expect(0.1 + 0.2 + 0.3).not.toBe(0.1 + (0.2 + 0.3));
    insertTicks(t.conn, [tick(0, "BTC", 5, 0.1), tick(1, "ETH", 9, 7), tick(2, "BTC", 6, 0.2), tick(3, "BTC", 4, 0.3)]);
    const first = aggregateTickSlice(t.conn.sqlite, 0, 1, 100);
    const rest = aggregateTickSlice(t.conn.sqlite, 1, 4, 100);
    const bar: BarFigures = { open: first.open[0]!, high: first.high[0]!, low: first.low[0]!, close: first.close[0]!, ticks: first.ticks[0]!, volume: first.volume[0]! };
    const j = [...Array(rest.bars).keys()].find((k) => rest.symbols[rest.symbol[k]!] === "BTC")!;
    expect(rest.sizes[j]).toBe(2);
    extendBar(t.conn.sqlite, bar, rest, j);
    expect(bar).toEqual({ open: 5, high: 6, low: 4, close: 4, ticks: 3, volume: 0.1 + 0.2 + 0.3 });
  });

  it("adds a single later size directly and keeps the first open", () => {
    insertTicks(t.conn, [tick(0, "BTC", 5, 0.1), tick(2, "BTC", 6, 0.2), tick(3, "BTC", 7, null)]);
    const rest = aggregateTickSlice(t.conn.sqlite, 1, 3, 100);
    const bar: BarFigures = { open: 5, high: 5, low: 5, close: 5, ticks: 1, volume: 0.1 };
    extendBar(t.conn.sqlite, bar, rest, 0);
    expect(bar).toEqual({ open: 5, high: 7, low: 5, close: 7, ticks: 3, volume: 0.1 + 0.2 });
  });
});
