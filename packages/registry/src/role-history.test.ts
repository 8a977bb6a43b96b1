import { describe, expect, it } from "vitest";
import { InputDataError } from "@mlq/core";
import { evaluationStartMs, holderAt, replayRoles, roleTimeline, type RoleEvent } from "./role-history.js";

const ev = (
  tsMs: number,
  event: RoleEvent["event"],
  version: string,
  role: RoleEvent["role"],
  extra: Partial<RoleEvent> = {},
): RoleEvent => ({ tsMs, event, version, role, ...extra });

describe("replayRoles", () => {
  it("walks a full cycle: first version, candidates, slot, promotion, reject, rollback, pin", () => {
    const events: RoleEvent[] = [
      ev(1, "register", "1", "champion"),
      ev(2, "register", "2", "candidate"),
      ev(3, "take_slot", "2", "challenger", { alpha: 0.05 }),
      ev(4, "register", "3", "candidate"),
      ev(5, "register", "4", "candidate"),
      ev(6, "promote", "2", "champion", { previousVersion: "1" }),
      ev(7, "skip", "3", "none"),
      ev(7, "take_slot", "4", "challenger", { alpha: 0.05 }),
      ev(8, "reject", "4", "none"),
      ev(9, "rollback", "1", "champion", { previousVersion: "2" }),
      ev(10, "pin", "1", "champion"),
    ];
    const s = replayRoles(events);
    expect(s.champion).toEqual({ version: "1", sinceMs: 9 });
    expect(s.previousChampion).toBeNull();
    expect(s.challenger).toBeNull();
    expect(s.candidates).toEqual([]);
    expect(s.v1Backtest).toEqual({ version: "1", sinceMs: 1 });
    expect(s.barred).toEqual(["2"]);
    expect(s.pinned).toBe(true);
    expect(s.grants).toEqual([
      { tsMs: 3, alpha: 0.05 },
      { tsMs: 7, alpha: 0.05 },
    ]);
    // after the promotion at 6, 1 was the previous champion
    expect(replayRoles(events.slice(0, 6)).previousChampion).toEqual({ version: "1", sinceMs: 6 });
  });

  it("restarts an evaluation when the champion changes during it", () => {
    const s = replayRoles([
      ev(1, "register", "1", "champion"),
      ev(2, "register", "2", "candidate"),
      ev(3, "take_slot", "2", "challenger"),
      ev(4, "register", "9", "candidate"),
      ev(5, "force_swap", "9", "champion", { previousVersion: "1" }),
    ]);
    expect(s.challenger?.version).toBe("2");
    expect(evaluationStartMs(s)).toBe(5);
    expect(s.previousChampion?.version).toBe("1");
  });

  it.each([
    [
      "a second take_slot while the slot is held",
      [
        ev(1, "register", "1", "champion"),
        ev(2, "register", "2", "candidate"),
        ev(3, "register", "3", "candidate"),
        ev(4, "take_slot", "2", "challenger"),
        ev(5, "take_slot", "3", "challenger"),
      ],
      "slot is held by 2",
    ],
    [
      "promoting a version that is not the challenger",
      [ev(1, "register", "1", "champion"), ev(2, "register", "2", "candidate"), ev(3, "promote", "2", "champion")],
      "challenger is nobody",
    ],
    [
      "a rollback to a version that is not the previous champion",
      [ev(1, "register", "1", "champion"), ev(2, "rollback", "7", "champion")],
      "rollback target is nobody",
    ],
    [
      "a forced swap to a rolled-back version",
      [
        ev(1, "register", "1", "champion"),
        ev(2, "register", "2", "candidate"),
        ev(3, "take_slot", "2", "challenger"),
        ev(4, "promote", "2", "champion"),
        ev(5, "rollback", "1", "champion"),
        ev(6, "force_swap", "2", "champion"),
      ],
      "must win a new A/B",
    ],
    ["registering a version twice", [ev(1, "register", "1", "champion"), ev(2, "register", "1", "candidate")], "already registered"],
    ["pinning a version that is not champion", [ev(1, "register", "1", "champion"), ev(2, "pin", "3", "champion")], "champion is 1"],
  ])("rejects %s with a one-line InputDataError", (_name, events, message) => {
    expect(() => replayRoles(events)).toThrow(InputDataError);
    expect(() => replayRoles(events)).toThrow(message);
  });

  it("a rolled-back version that wins a new A/B is champion again and no longer barred", () => {
    const s = replayRoles([
      ev(1, "register", "1", "champion"),
      ev(2, "register", "2", "candidate"),
      ev(3, "take_slot", "2", "challenger"),
      ev(4, "promote", "2", "champion"),
      ev(5, "rollback", "1", "champion"),
      ev(6, "register", "3", "candidate"),
    ]);
    expect(s.barred).toEqual(["2"]);
    expect(s.champion?.version).toBe("1");
  });
});

describe("roleTimeline / holderAt", () => {
  it("gives who held champion and challenger at any moment", () => {
    const t = (x: number) => x * 1000;
    const events: RoleEvent[] = [
      ev(t(1), "register", "1", "champion"),
      ev(t(2), "register", "2", "candidate"),
      ev(t(3), "take_slot", "2", "challenger"),
      ev(t(5), "promote", "2", "champion", { previousVersion: "1" }),
      ev(t(6), "register", "3", "candidate"),
      ev(t(6), "take_slot", "3", "challenger"),
    ];
    const { champion, challenger, known } = roleTimeline(events);
    expect(champion).toEqual([
      { version: "1", fromMs: t(1), toMs: t(5) },
      { version: "2", fromMs: t(5), toMs: Infinity },
    ]);
    expect(challenger).toEqual([
      { version: "2", fromMs: t(3), toMs: t(5) },
      { version: "3", fromMs: t(6), toMs: Infinity },
    ]);
    expect(holderAt(champion, t(4.9))).toBe("1");
    expect(holderAt(champion, t(5))).toBe("2");
    expect(holderAt(challenger, t(5.5))).toBeNull();
    expect(holderAt(challenger, t(0))).toBeNull();
    expect([...known].sort()).toEqual(["1", "2", "3"]);
  });
});
