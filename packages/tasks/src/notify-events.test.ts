import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "@mlq/core";
import { openMigrated, type Connection } from "@mlq/db";
import { appendRoleEvents, readRoleEvents, type NewRoleEvent } from "@mlq/registry";
import { driftRetrainNotice, lastRoleEventId, roleEventNotices, roleEventsAfter, withRoleNotices, type Notice } from "./notify-events.js";

const T = (h: number) => Date.UTC(2026, 11, 1) + h * 3_600_000;
/** 1 champion; 2 challenger, promoted; 3 challenger, rejected; 4 and 5 wait, 5 takes the slot (4 skipped); 5 expires; rollback to 1; pin. */
const HISTORY: NewRoleEvent[] = [
  { tsMs: T(1), event: "register", version: "1", role: "champion", runId: 1, trigger: "scheduled" },
  { tsMs: T(2), event: "register", version: "2", role: "candidate", runId: 2, trigger: "scheduled" },
  { tsMs: T(2), event: "take_slot", version: "2", role: "challenger", alpha: 0.05 },
  {
    tsMs: T(3),
    event: "promote",
    version: "2",
    role: "champion",
    previousVersion: "1",
    runId: 11,
    trigger: "ab-eval",
    reason: "z 2.4 ≥ 1.8",
  },
  { tsMs: T(4), event: "register", version: "3", role: "candidate", runId: 3, trigger: "force" },
  { tsMs: T(4), event: "take_slot", version: "3", role: "challenger", alpha: 0.025 },
  { tsMs: T(5), event: "reject", version: "3", role: "none", trigger: "operator", reason: "operator: looks off" },
  { tsMs: T(6), event: "register", version: "4", role: "candidate", runId: 4, trigger: "scheduled" },
  { tsMs: T(7), event: "register", version: "5", role: "candidate", runId: 5, trigger: "drift" },
  { tsMs: T(8), event: "skip", version: "4", role: "none", reason: "superseded by the newer candidate 5" },
  { tsMs: T(8), event: "take_slot", version: "5", role: "challenger", alpha: 0.0125 },
  { tsMs: T(9), event: "expire", version: "5", role: "none", runId: 12, trigger: "ab-eval", reason: "no crossing by the last look" },
  {
    tsMs: T(10),
    event: "rollback",
    version: "1",
    role: "champion",
    previousVersion: "2",
    trigger: "monitor",
    reason: "champion decayed: CUSUM 5.3 ≥ h 5.1",
  },
  { tsMs: T(11), event: "pin", version: "1", role: "champion", trigger: "operator", reason: "holiday" },
];

let dir: string;
let dbPath: string;
let conn: Connection;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-notices-"));
  dbPath = join(dir, "bot.db");
  conn = openMigrated(dbPath, { create: true });
});
afterEach(() => {
  conn.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("roleEventNotices", () => {
  it("one event per swap, rollback, rejected or expired challenger and skipped candidate; registrations, slots and pins are not events", () => {
    appendRoleEvents(conn, HISTORY);
    const notices = roleEventNotices(readRoleEvents(conn));
    expect(notices.map((n) => [n.type, n.data["version"]])).toEqual([
      ["champion.promoted", "2"],
      ["challenger.rejected", "3"],
      ["candidate.skipped", "4"],
      ["challenger.expired", "5"],
      ["champion.rolled_back", "1"],
    ]);
    const rollback = notices[4]!;
    expect(rollback).toEqual({
      id: `role-13-rollback-${T(10)}`,
      type: "champion.rolled_back",
      occurredAt: new Date(T(10)).toISOString(),
      summary: "champion rolled back to 1 from 2: champion decayed: CUSUM 5.3 ≥ h 5.1",
      data: {
        event: "rollback",
        version: "1",
        role: "champion",
        previousVersion: "2",
        runId: null,
        trigger: "monitor",
        reason: "champion decayed: CUSUM 5.3 ≥ h 5.1",
        historyId: 13,
      },
    });
    expect(notices[0]!.summary).toBe("version 2 promoted to champion (was 1): z 2.4 ≥ 1.8");
    // Ids are valid job ids and distinct.
    expect(new Set(notices.map((n) => n.id)).size).toBe(notices.length);
    for (const n of notices) expect(n.id).toMatch(/^(?!\d+$)[A-Za-z0-9._-]{1,128}$/);
  });
});

describe("withRoleNotices", () => {
  it("raises only what was recorded after the run started", async () => {
    appendRoleEvents(conn, HISTORY.slice(0, 4));
    const raised: Notice[] = [];
    const out = await withRoleNotices(
      { dbPath },
      (n) => Promise.resolve(raised.push(...n)),
      silentLogger,
      () => {
        appendRoleEvents(conn, HISTORY.slice(4, 7));
        return Promise.resolve("done");
      },
    );
    expect(out).toBe("done");
    expect(raised.map((n) => n.type)).toEqual(["challenger.rejected"]);
    expect(lastRoleEventId(dbPath)).toBe(7);
    expect(roleEventsAfter(dbPath, 5).map((e) => e.event)).toEqual(["take_slot", "reject"]);
  });

  it("a run that fails after committing a change still raises it, and rethrows its own error", async () => {
    appendRoleEvents(conn, HISTORY.slice(0, 3));
    const raise = vi.fn(() => Promise.resolve());
    await expect(
      withRoleNotices({ dbPath }, raise, silentLogger, () => {
        appendRoleEvents(conn, [HISTORY[3]!]);
        return Promise.reject(new Error("active_model.json: disk full"));
      }),
    ).rejects.toThrow("disk full");
    expect(raise).toHaveBeenCalledWith([expect.objectContaining({ type: "champion.promoted" })]);
  });

  it("a raise that fails or a database without the history never fails the run", async () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    appendRoleEvents(conn, HISTORY.slice(0, 3));
    const out = await withRoleNotices(
      { dbPath },
      () => Promise.reject(new Error("redis down")),
      logger,
      () => {
        appendRoleEvents(conn, [HISTORY[3]!]);
        return Promise.resolve(1);
      },
    );
    expect(out).toBe(1);
    expect(logger.warn).toHaveBeenCalledWith("events: could not raise the run's role changes", { error: "redis down" });
    const none = vi.fn(() => Promise.resolve());
    expect(await withRoleNotices({ dbPath: join(dir, "absent.db") }, none, logger, () => Promise.resolve(2))).toBe(2);
    expect(none).not.toHaveBeenCalled();
  });
});

describe("driftRetrainNotice", () => {
  it("names the run, what came of it and the role the version took", () => {
    const n = driftRetrainNotice(
      { runId: 9, outcome: "trained", message: "trained 5 models", version: "9", registered: { role: "candidate" } },
      "retrain-1-abc",
      T(0),
    );
    expect(n).toEqual({
      id: "drift-retrain-run-9",
      type: "retrain.drift",
      occurredAt: new Date(T(0)).toISOString(),
      summary: "drift retrain run 9 trained: trained 5 models",
      data: { runId: 9, jobId: "retrain-1-abc", outcome: "trained", version: "9", role: "candidate", message: "trained 5 models" },
    });
  });
});
