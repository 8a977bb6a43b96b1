import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InputDataError, type Logger } from "@mlq/core";
import { openMigrated, type Connection } from "@mlq/db";
import { readActiveModel, readActiveState, writeActiveState } from "./active-model.js";
import { pointerPath, readPointer, setPointer } from "./pointers.js";
import { fakeModels, manifestInput } from "./registry.test-util.js";
import {
  appendRoleEvents,
  currentRoles,
  endChallenger,
  fillEvaluationSlot,
  listVersionRoles,
  readRoleEvents,
  recordChampionChange,
  registerAndOffer,
  registerVersion,
  rejectVersion,
  seedRoleHistory,
  setPinned,
  syncRoleFiles,
} from "./role-store.js";
import { saveModelSet, verifyVersion } from "./version-store.js";

let dir: string;
let modelsDir: string;
let conn: Connection;
const logger = () => ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }) satisfies Logger;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-roles-"));
  modelsDir = join(dir, "models");
  conn = openMigrated(join(dir, "bot.db"), { create: true });
  for (const v of [1, 2, 3, 4]) saveModelSet(modelsDir, v, { models: fakeModels(v), manifest: manifestInput });
});
afterEach(() => {
  conn.close();
  rmSync(dir, { recursive: true, force: true });
});

const register = (version: string, nowMs: number) =>
  registerVersion(conn, modelsDir, { version, runId: Number(version), trigger: "scheduled", nowMs });

describe("the role store", () => {
  it("registerAndOffer: the first version is champion, the next takes the free slot with α_k from the budget, then candidates wait", () => {
    const policy = { alpha: 0.05, budget: 0.25 };
    expect(registerAndOffer(conn, modelsDir, { version: "1", runId: 1, trigger: "force", nowMs: 1000, policy }).role).toBe("champion");
    const second = registerAndOffer(conn, modelsDir, { version: "2", runId: 2, trigger: "scheduled", nowMs: 2000, policy });
    expect(second).toMatchObject({ role: "challenger", slot: { took: "2", alpha: 0.05, skipped: [] } });
    expect(registerAndOffer(conn, modelsDir, { version: "3", runId: 3, trigger: "drift", nowMs: 3000, policy }).role).toBe("candidate");
    expect(currentRoles(conn).candidates).toEqual([{ version: "3", sinceMs: 3000, trigger: "drift", runId: 3 }]);
  });

  it("promotes even when the outgoing champion's files are damaged: the rollback target is recorded without a sha256", () => {
    register("1", 1000);
    register("2", 2000);
    fillEvaluationSlot(conn, { nowMs: 2500, allocate: () => 0.05 });
    writeFileSync(join(modelsDir, "1", "manifest.json"), "{ damaged");
    recordChampionChange(conn, modelsDir, { tsMs: 3000, event: "promote", version: "2", role: "champion", reason: "test" });
    const state = readActiveState(conn)!;
    expect(basename(state.versionDir!)).toBe("2");
    expect(basename(state.previousVersionDir!)).toBe("1");
    expect(state.previousManifestSha256).toBeNull();
  });

  it("makes the first version champion and baseline, with ab_active_model and active_model.json to match", () => {
    const s = register("1", 1000);
    expect(s.champion?.version).toBe("1");
    expect(s.v1Backtest?.version).toBe("1");
    expect(readActiveState(conn)?.versionDir).toBe(verifyVersion(modelsDir, "1").versionDir);
    syncRoleFiles(conn, modelsDir, logger());
    expect(readActiveModel(modelsDir)?.version).toBe("1");
    expect(readPointer(modelsDir, "v1_backtest")?.version).toBe("1");
  });

  it("lets later versions wait as candidates; the newest takes a free slot and older ones are skipped", () => {
    register("1", 1000);
    register("2", 2000);
    register("3", 3000);
    syncRoleFiles(conn, modelsDir, logger());
    expect(readPointer(modelsDir, "candidate")?.version).toBe("3");
    const out = fillEvaluationSlot(conn, { nowMs: 4000, allocate: () => 0.05 });
    expect(out).toMatchObject({ took: "3", skipped: ["2"], alpha: 0.05 });
    syncRoleFiles(conn, modelsDir, logger());
    expect(readPointer(modelsDir, "v2_paper")?.version).toBe("3");
    expect(existsSync(pointerPath(modelsDir, "candidate"))).toBe(false);
    expect(readRoleEvents(conn).map((e) => `${e.event}:${e.version}`)).toEqual([
      "register:1",
      "register:2",
      "register:3",
      "skip:2",
      "take_slot:3",
    ]);
    // a held slot stays held
    register("4", 5000);
    expect(fillEvaluationSlot(conn, { nowMs: 6000, allocate: () => 0.05 }).took).toBeNull();
    endChallenger(conn, { event: "reject", nowMs: 7000, runId: 9, reason: "worse", trigger: "ab" });
    expect(fillEvaluationSlot(conn, { nowMs: 8000, allocate: () => 0.025 }).took).toBe("4");
    syncRoleFiles(conn, modelsDir, logger());
    expect(readPointer(modelsDir, "v2_paper")?.version).toBe("4");
    expect(readPointer(modelsDir, "v2_paper_prev")?.version).toBe("3");
  });

  it("records a promotion in the history and ab_active_model in one transaction, and the file follows", () => {
    register("1", 1000);
    register("2", 2000);
    fillEvaluationSlot(conn, { nowMs: 3000, allocate: () => 0.05 });
    conn.sqlite
      .transaction(() =>
        recordChampionChange(conn, modelsDir, {
          tsMs: 4000,
          event: "promote",
          version: "2",
          role: "champion",
          previousVersion: "1",
          runId: 5,
          reason: "won",
        }),
      )
      .immediate();
    const active = readActiveState(conn)!;
    expect(active).toMatchObject({ activeArm: "v2_paper", swapRunId: 5, previousArm: "v1_backtest" });
    expect(active.previousVersionDir).toBe(verifyVersion(modelsDir, "1").versionDir);
    expect(syncRoleFiles(conn, modelsDir, logger())).toContain("active_model.json");
    expect(readActiveModel(modelsDir)?.version).toBe("2");
  });

  it("writes nothing when an event contradicts the roles (the whole transaction rolls back)", () => {
    register("1", 1000);
    register("2", 2000);
    const before = readRoleEvents(conn).length;
    expect(() =>
      appendRoleEvents(conn, [
        { tsMs: 3000, event: "take_slot", version: "2", role: "challenger" },
        { tsMs: 3000, event: "promote", version: "3", role: "champion" },
      ]),
    ).toThrow(InputDataError);
    expect(readRoleEvents(conn)).toHaveLength(before);
    expect(currentRoles(conn).challenger).toBeNull();
  });

  it("repairs pointers that contradict the history from the database", () => {
    register("1", 1000);
    register("2", 2000);
    fillEvaluationSlot(conn, { nowMs: 3000, allocate: () => 0.05 });
    syncRoleFiles(conn, modelsDir, logger());
    setPointer(modelsDir, "v2_paper", "4"); // a hand edit, or a crash between commit and file write
    const changed = syncRoleFiles(conn, modelsDir, logger());
    expect(changed).toContain("v2_paper");
    expect(readPointer(modelsDir, "v2_paper")?.version).toBe("2");
  });

  it("seeds an existing install from its pointers and ab_active_model, once", () => {
    setPointer(modelsDir, "v1_backtest", "1");
    setPointer(modelsDir, "v2_paper", "3");
    writeActiveState(conn, {
      activeArm: "v2_paper",
      versionDir: verifyVersion(modelsDir, "2").versionDir,
      manifestSha256: verifyVersion(modelsDir, "2").manifestSha256,
      swappedAt: "2026-11-01T00:00:00.000Z",
      swapRunId: 7,
      previousArm: "v1_backtest",
      previousVersionDir: verifyVersion(modelsDir, "1").versionDir,
      previousManifestSha256: verifyVersion(modelsDir, "1").manifestSha256,
    });
    const s = seedRoleHistory(conn, modelsDir, { nowMs: 5000, alpha: 0.05 });
    expect(s.champion?.version).toBe("2");
    expect(s.previousChampion?.version).toBe("1");
    expect(s.v1Backtest?.version).toBe("1");
    expect(s.challenger).toMatchObject({ version: "3", alpha: 0.05 });
    expect(readRoleEvents(conn).every((e) => e.event === "seed" && e.trigger === "migration")).toBe(true);
    const n = readRoleEvents(conn).length;
    seedRoleHistory(conn, modelsDir, { nowMs: 6000, alpha: 0.05 });
    expect(readRoleEvents(conn)).toHaveLength(n);
    expect(JSON.parse(readFileSync(pointerPath(modelsDir, "v2_paper"), "utf8")).version).toBe("3");
  });
});

describe("operator actions", () => {
  it("rejects the challenger, skips a waiting candidate, refuses anything else with a clear error", () => {
    register("1", 1000);
    register("2", 2000);
    fillEvaluationSlot(conn, { nowMs: 3000, allocate: () => 0.05 });
    register("3", 4000);
    expect(rejectVersion(conn, { version: "3", nowMs: 5000, reason: "bad data day" }).candidates).toEqual([]);
    expect(rejectVersion(conn, { version: "2", nowMs: 6000, reason: "looks off" }).challenger).toBeNull();
    expect(() => rejectVersion(conn, { version: "1", nowMs: 7000, reason: "x" })).toThrow(
      "version 1 is neither the challenger nor a waiting candidate",
    );
    expect(
      readRoleEvents(conn)
        .slice(-2)
        .map((e) => [e.event, e.trigger, e.reason]),
    ).toEqual([
      ["skip", "operator", "operator: bad data day"],
      ["reject", "operator", "operator: looks off"],
    ]);
  });

  it("pins and unpins only the champion, once each", () => {
    register("1", 1000);
    register("2", 2000);
    expect(() => setPinned(conn, { version: "2", pinned: true, nowMs: 3000, reason: "x" })).toThrow(
      "version 2 is not the champion (the champion is 1)",
    );
    expect(setPinned(conn, { version: "1", pinned: true, nowMs: 3000, reason: "holiday" }).pinned).toBe(true);
    setPinned(conn, { version: "1", pinned: true, nowMs: 3500, reason: "again" });
    expect(setPinned(conn, { version: "1", pinned: false, nowMs: 4000, reason: "back" }).pinned).toBe(false);
    expect(readRoleEvents(conn).filter((e) => e.event === "pin" || e.event === "unpin")).toHaveLength(2);
  });

  it("lists every version with its roles, newest first", () => {
    register("1", 1000);
    register("2", 2000);
    fillEvaluationSlot(conn, { nowMs: 3000, allocate: () => 0.05 });
    register("3", 4000);
    const list = listVersionRoles(conn, modelsDir);
    expect(list.map((v) => [v.version, v.roles])).toEqual([
      ["4", []],
      ["3", ["candidate"]],
      ["2", ["challenger"]],
      ["1", ["champion", "v1_backtest"]],
    ]);
  });
});
