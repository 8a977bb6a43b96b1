import { describe, expect, it } from "vitest";
import { roleTimeline, type RoleEvent } from "@mlq/registry";
import type { AbTrade } from "../ab-trade.js";
import { selectChampionTrades } from "./champion-trades.js";

// 1 champion from 0, 2 challenger from 100, promoted at 200 (champion 2 since 200), 3 challenger from 300.
const EVENTS: RoleEvent[] = [
  { tsMs: 0, event: "register", version: "1", role: "champion" },
  { tsMs: 100, event: "register", version: "2", role: "candidate" },
  { tsMs: 100, event: "take_slot", version: "2", role: "challenger", alpha: 0.05 },
  { tsMs: 200, event: "promote", version: "2", role: "champion" },
  { tsMs: 300, event: "register", version: "3", role: "candidate" },
  { tsMs: 300, event: "take_slot", version: "3", role: "challenger", alpha: 0.05 },
];
const TIMELINE = roleTimeline(EVENTS);
const WINDOW = { champion: "2", sinceMs: 200, nowMs: 1000 };

let nextId = 1;
const trade = (openedTsMs: number, pnlPct: number, tags: Partial<AbTrade> = {}): AbTrade => ({
  id: nextId++,
  openedTsMs,
  closedTsMs: openedTsMs + 5,
  pnlPct,
  ...tags,
});

describe("selectChampionTrades", () => {
  it("by model_version: the champion's version only, in close order, other versions counted", () => {
    const trades = [
      trade(260, 3, { modelVersion: "2" }),
      trade(210, 1, { modelVersion: "2" }),
      trade(310, 9, { modelVersion: "3" }),
      trade(150, 7, { modelVersion: "2" }), // opened before it was champion: its paper trades as challenger
      trade(320, 4, { modelArm: "v1_backtest" }), // no version but the arm: still the champion's
      trade(330, 8), // untagged among tagged trades
    ];
    const s = selectChampionTrades(trades, WINDOW, TIMELINE);
    expect(s.method).toBe("model_version");
    expect(s.returns).toEqual([1, 3, 4]);
    expect(s.closeTsMs).toEqual([215, 265, 325]);
    expect(s.counts).toEqual({ otherVersion: 1, otherArm: 0, untaggedLeftOut: 1, unknownArm: 0 });
  });

  it("by model_arm: v1_backtest held by the champion at entry counts, v2_paper (the challenger) does not", () => {
    const trades = [
      trade(205, 1, { modelArm: "v1_backtest" }),
      trade(305, 2, { modelArm: "v2_paper" }),
      trade(405, 3, { modelArm: "v1_backtest" }),
      trade(410, 5, { modelArm: "shadow" }),
    ];
    const s = selectChampionTrades(trades, WINDOW, TIMELINE);
    expect(s.method).toBe("model_arm");
    expect(s.returns).toEqual([1, 3]);
    expect(s.counts).toEqual({ otherVersion: 0, otherArm: 1, untaggedLeftOut: 0, unknownArm: 1 });
  });

  it("untagged: every trade opened since the champion took its role and closed by now", () => {
    const trades = [trade(199, 1), trade(200, 2), trade(500, 3), trade(996, 4) /* closes at 1001, after now */];
    const s = selectChampionTrades(trades, WINDOW, TIMELINE);
    expect(s.method).toBe("untagged");
    expect(s.returns).toEqual([2, 3]);
  });

  it("reports no method when nothing was opened in the window", () => {
    expect(selectChampionTrades([trade(10, 1)], WINDOW, TIMELINE)).toMatchObject({ method: null, returns: [] });
  });
});
