import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "@mlq/core";
import { LiveCandleBook } from "./live-candles.js";
import { refreshServing } from "./refresh.js";
import { RoleModels } from "./role-models.js";
import { dbFixture, type DbFixture } from "./serving.test-util.js";

const T0 = Date.UTC(2026, 2, 2);
let fx: DbFixture;
beforeEach(() => {
  fx = dbFixture();
});
afterEach(() => fx.dispose());

function insertTicks(fromMinute: number, minutes: number): void {
  const insert = fx.conn.sqlite.prepare("INSERT INTO ticks (ts_ms, symbol, price, size) VALUES (?, ?, ?, 1)");
  fx.conn.sqlite.transaction(() => {
    for (let m = fromMinute; m < fromMinute + minutes; m++)
      for (let t = 0; t < 2; t++) insert.run(T0 + m * 60_000 + t * 20_000, "BTC-USDT", 100 * Math.exp(0.001 * Math.sin(m * 1.3 + t)));
  })();
}

describe("refreshServing", () => {
  it("works a tick backlog off in bounded slices, then keeps the last closed bar current", async () => {
    insertTicks(0, 300);
    const book = new LiveCandleBook();
    const roles = new RoleModels({ modelsDir: join(fx.dir, "models"), logger: silentLogger });
    const first = await refreshServing(fx.conn, book, roles, { logger: silentLogger, maxTicksPerRefresh: 100 });
    expect(first.candles?.ticksRead).toBe(100);
    expect(book.features("BTC-USDT")).toMatchObject({ kind: "warming-up", segmentBars: 49 });
    let refreshes = 1;
    while ((await refreshServing(fx.conn, book, roles, { logger: silentLogger, maxTicksPerRefresh: 100 })).candles?.ticksRead) refreshes++;
    expect(refreshes).toBe(6);
    // The bar of the last tick stays open until a tick of a later minute arrives.
    expect(book.features("BTC-USDT")).toMatchObject({ kind: "ready", barTsMs: T0 + 298 * 60_000, segmentBars: 299 });
    insertTicks(300, 1);
    await refreshServing(fx.conn, book, roles, { logger: silentLogger });
    expect(book.features("BTC-USDT")).toMatchObject({ kind: "ready", barTsMs: T0 + 299 * 60_000 });
  });

  it("leaves candles to another process with materialize: false", async () => {
    insertTicks(0, 10);
    const book = new LiveCandleBook();
    const roles = new RoleModels({ modelsDir: join(fx.dir, "models"), logger: silentLogger });
    expect((await refreshServing(fx.conn, book, roles, { logger: silentLogger, materialize: false })).candles).toBeNull();
    expect(book.symbols()).toEqual([]);
  });
});
