import { describe, expect, it } from "vitest";
import { roleTimeline, type RoleEvent } from "@mlq/registry";
import { attributeTrades, type Evaluation } from "./attribute-trades.js";
import type { AbTrade } from "./ab-trade.js";

const H = 3600_000;
const ev = (tsMs: number, event: RoleEvent["event"], version: string, role: RoleEvent["role"]): RoleEvent => ({
  tsMs,
  event,
  version,
  role,
});
// 1 is champion from 0; 2 challenges from 10h and is promoted at 20h; 3 challenges from 30h.
const timeline = roleTimeline([
  ev(0, "register", "1", "champion"),
  ev(5 * H, "register", "2", "candidate"),
  ev(10 * H, "take_slot", "2", "challenger"),
  ev(20 * H, "promote", "2", "champion"),
  ev(25 * H, "register", "3", "candidate"),
  ev(30 * H, "take_slot", "3", "challenger"),
]);
const evaluation: Evaluation = { champion: "2", challenger: "3", startMs: 30 * H, championSinceMs: 20 * H, nowMs: 40 * H };
let id = 0;
const trade = (openedH: number, extra: Partial<AbTrade> = {}): AbTrade => ({
  id: ++id,
  openedTsMs: openedH * H,
  closedTsMs: openedH * H + 600_000,
  pnlPct: openedH / 100,
  ...extra,
});

describe("attributeTrades", () => {
  it("by model_version: exact, inside the evaluation only, unknown versions counted and never attributed", () => {
    const r = attributeTrades(
      [
        trade(31, { modelVersion: "2" }),
        trade(32, { modelVersion: "3" }),
        trade(33, { modelVersion: "3" }),
        trade(29, { modelVersion: "3" }), // before the slot: outside
        trade(34, { modelVersion: "1" }), // another known version: outside
        trade(35, { modelVersion: "99" }),
        trade(36, { modelVersion: "99" }),
        trade(37), // untagged among tagged: left out
      ],
      evaluation,
      timeline,
    );
    expect(r.method).toBe("model_version");
    expect(r.a.returns).toEqual([0.31]);
    expect(r.b.returns).toEqual([0.32, 0.33]);
    expect(r.counts).toEqual({ unknownVersion: 2, unknownVersions: ["99"], outside: 2, untaggedLeftOut: 1, unknownArm: 0 });
  });

  it("by model_arm: the role's holder at entry time decides, across a challenger change inside the window", () => {
    const ev2: Evaluation = { champion: "1", challenger: "2", startMs: 10 * H, championSinceMs: 0, nowMs: 19 * H };
    const tl = roleTimeline([
      ev(0, "register", "1", "champion"),
      ev(1 * H, "register", "4", "candidate"),
      ev(2 * H, "take_slot", "4", "challenger"),
      ev(8 * H, "reject", "4", "none"),
      ev(9 * H, "register", "2", "candidate"),
      ev(10 * H, "take_slot", "2", "challenger"),
    ]);
    const r = attributeTrades(
      [
        trade(3, { modelArm: "v2_paper" }), // challenger 4 then: outside
        trade(9, { modelArm: "v2_paper" }), // nobody held the slot: outside
        trade(11, { modelArm: "v2_paper" }), // challenger 2: B
        trade(12, { modelArm: "v1_backtest" }), // champion 1: A
        trade(5, { modelArm: "v1_backtest" }), // champion 1 but before the evaluation: outside
        trade(13, { modelArm: "shadow" }),
      ],
      ev2,
      tl,
    );
    expect(r.method).toBe("model_arm");
    expect(r.b.returns).toEqual([0.11]);
    expect(r.a.returns).toEqual([0.12]);
    expect(r.counts).toMatchObject({ outside: 3, unknownArm: 1 });
  });

  it("untagged: B after the evaluation start, A the same length before it, clipped to the champion's start", () => {
    const r = attributeTrades([trade(15), trade(19), trade(21), trade(29), trade(30), trade(39), trade(41)], evaluation, timeline);
    expect(r.method).toBe("temporal");
    // window length 10h: A = [20h, 30h) (clipped at 20h, when 2 became champion) — 15h and 19h are outside
    expect(r.temporalA).toEqual({ fromMs: 20 * H, toMs: 30 * H });
    expect(r.a.returns).toEqual([0.21, 0.29]);
    expect(r.b.returns).toEqual([0.3, 0.39]);
    expect(r.counts.outside).toBe(3);
  });
});
