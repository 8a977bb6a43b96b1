import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { candlesStage } from "./candles-stage.js";
import { retrainFixture, stageContext, type RetrainFixture } from "./retrain.test-util.js";

let fx: RetrainFixture;
beforeEach(() => {
  fx = retrainFixture();
});
afterEach(() => fx.dispose());

const T = Date.UTC(2026, 0, 1);

describe("candlesStage", () => {
  it("materializes the new ticks and records the coverage per symbol", async () => {
    const tick = fx.conn.sqlite.prepare("INSERT INTO ticks (ts_ms, symbol, price, size) VALUES (?, ?, ?, ?)");
    for (const [ms, symbol, price] of [
      [T + 1_000, "BTC", 100],
      [T + 61_000, "BTC", 101],
      [T + 62_000, "ETH", 10],
      [T + 125_000, "BTC", 99],
    ] as const)
      tick.run(ms, symbol, price, 1);
    const ctx = stageContext(fx, { band: candlesStage.progress, stage: "candles" });
    expect(await candlesStage.run(ctx)).toBeUndefined();
    expect(ctx.state.candles).toEqual({
      rowsWritten: 4,
      ticksRead: 4,
      skippedTicks: 0,
      coverage: [
        { symbol: "BTC", rows: 3, firstTsMs: T, lastTsMs: T + 120_000 },
        { symbol: "ETH", rows: 1, firstTsMs: T + 60_000, lastTsMs: T + 60_000 },
      ],
    });
    expect(ctx.reports.every((r) => r.pct >= 0 && r.pct <= 20)).toBe(true);
  });

  it("writes nothing new on a second run over the same ticks", async () => {
    fx.conn.sqlite.prepare("INSERT INTO ticks (ts_ms, symbol, price, size) VALUES (?, 'BTC', 100, 1)").run(T);
    await candlesStage.run(stageContext(fx));
    const again = stageContext(fx);
    await candlesStage.run(again);
    expect(again.state.candles).toMatchObject({ rowsWritten: 0, ticksRead: 0, coverage: [{ symbol: "BTC", rows: 1 }] });
  });
});
