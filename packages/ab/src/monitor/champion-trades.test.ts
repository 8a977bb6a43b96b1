import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openMigrated, type Connection } from "@mlq/db";
import { championTradeAt, loadChampionTrades } from "./champion-trades.js";
import { insertTrades, type TradeRow } from "./monitor.test-util.js";

// Champion 2 since 200; the window ends at 1000 (trades close 5 ms after they open).
const WINDOW = { champion: "2", sinceMs: 200, nowMs: 1000 };

let dir: string;
let conn: Connection;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-champion-trades-"));
  conn = openMigrated(join(dir, "bot.db"), { create: true });
});
afterEach(() => {
  conn.close();
  rmSync(dir, { recursive: true, force: true });
});

const trade = (openedTsMs: number, pnlPct: number | null, tags: Partial<TradeRow> = {}): TradeRow => ({
  openedTsMs,
  closedTsMs: openedTsMs + 5,
  pnlPct,
  ...tags,
});
const ids = () =>
  (conn.sqlite.prepare("SELECT id, opened_ts_ms AS o FROM paper_trades").all() as { id: number; o: number }[]).reduce<
    Record<number, number>
  >((m, r) => ((m[r.o] = r.id), m), {});

describe("loadChampionTrades", () => {
  it("by model_version: the champion's version (or its arm without a version), in close order; the rest counted", () => {
    insertTrades(conn, [
      trade(260, 3, { modelVersion: "2" }),
      trade(210, 1, { modelVersion: "2" }),
      trade(310, 9, { modelVersion: "3" }), // the challenger's
      trade(150, 7, { modelVersion: "2" }), // opened before it was champion: its paper trades as challenger
      trade(320, 4, { modelArm: "v1_backtest" }), // no version but the champion's arm
      trade(330, 8), // untagged among tagged trades
      trade(340, null, { modelVersion: "2" }),
    ]);
    const s = loadChampionTrades(conn, WINDOW);
    expect(s).toEqual({
      method: "model_version",
      returns: [1, 3, 4],
      counts: { otherVersion: 1, otherArm: 0, untaggedLeftOut: 1, unknownArm: 0, nullPnl: 1, invalidPnl: 0 },
    });
    const byOpen = ids();
    expect(championTradeAt(conn, WINDOW, "model_version", 1)).toEqual({ id: byOpen[260], closedTsMs: 265 });
    expect(championTradeAt(conn, WINDOW, "model_version", 3)).toBeNull();
  });

  it("by model_arm: v1_backtest in the window is the champion; v2_paper (the challenger) is not", () => {
    insertTrades(conn, [
      trade(205, 1, { modelArm: "v1_backtest" }),
      trade(305, 2, { modelArm: "v2_paper" }),
      trade(405, 3, { modelArm: "v1_backtest" }),
      trade(410, 5, { modelArm: "shadow" }),
      trade(415, 6),
    ]);
    expect(loadChampionTrades(conn, WINDOW)).toEqual({
      method: "model_arm",
      returns: [1, 3],
      counts: { otherVersion: 0, otherArm: 1, untaggedLeftOut: 1, unknownArm: 1, nullPnl: 0, invalidPnl: 0 },
    });
    expect(championTradeAt(conn, WINDOW, "model_arm", 1)?.closedTsMs).toBe(410);
  });

  it("untagged: every trade opened since the champion took its role and closed by now", () => {
    insertTrades(conn, [trade(199, 1), trade(500, 3), trade(200, 2), trade(996, 4) /* closes at 1001, after now */]);
    expect(loadChampionTrades(conn, WINDOW)).toMatchObject({ method: "untagged", returns: [2, 3] });
  });

  it("leaves out non-finite and text pnl_pct, counted, without shifting the trade index", () => {
    insertTrades(conn, [trade(210, 1), trade(220, Number.POSITIVE_INFINITY), trade(230, 2), trade(240, null)]);
    conn.sqlite
      .prepare(
        "INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct) VALUES ('X', 'long', 'closed', 250, 255, 'n/a')",
      )
      .run();
    insertTrades(conn, [trade(260, -1)]);
    const s = loadChampionTrades(conn, WINDOW);
    expect(s).toMatchObject({ method: "untagged", returns: [1, 2, -1], counts: { nullPnl: 1, invalidPnl: 2 } });
    expect(championTradeAt(conn, WINDOW, "untagged", 2)?.closedTsMs).toBe(265);
  });

  it("reports no method when nothing was opened in the window, and no trades without the bot's table", () => {
    insertTrades(conn, [trade(10, 1)]);
    expect(loadChampionTrades(conn, WINDOW)).toMatchObject({ method: null, returns: [] });
    conn.sqlite.exec("DROP TABLE paper_trades");
    expect(loadChampionTrades(conn, WINDOW)).toMatchObject({ method: null, returns: [] });
  });
});
