import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ModelIntegrityError, type Logger } from "@mlq/core";
import { openMigrated, type Connection } from "@mlq/db";
import {
  activeFileFromState,
  activeModelPath,
  readActiveModel,
  readActiveState,
  reconcileActiveModelFile,
  writeActiveModel,
  writeActiveState,
  type ActiveModelState,
} from "./active-model.js";

let dir: string;
let modelsDir: string;
let conn: Connection;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-active-model-"));
  modelsDir = join(dir, "models");
  conn = openMigrated(join(dir, "bot.db"), { create: true });
});
afterEach(() => {
  conn.close();
  rmSync(dir, { recursive: true, force: true });
});

const logger = () => ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }) satisfies Logger;

const SWAPPED: ActiveModelState = {
  activeArm: "v2_paper",
  versionDir: "/srv/models/run-7",
  manifestSha256: "b".repeat(64),
  swappedAt: "2026-11-02T13:00:00.000Z",
  swapRunId: 12,
  previousArm: "v1_backtest",
  previousVersionDir: "/srv/models/run-1",
  previousManifestSha256: "a".repeat(64),
};

describe("ab_active_model row", () => {
  it("is null before the first swap, then reads back what was written, and the second write replaces the first", () => {
    expect(readActiveState(conn)).toBeNull();
    writeActiveState(conn, SWAPPED);
    expect(readActiveState(conn)).toEqual(SWAPPED);
    const back: ActiveModelState = { ...SWAPPED, activeArm: "v1_backtest", versionDir: "/srv/models/run-1", swapRunId: 13, previousArm: "v2_paper" };
    writeActiveState(conn, back);
    expect(readActiveState(conn)).toEqual(back);
    expect(conn.sqlite.prepare("SELECT count(*) AS n FROM ab_active_model").get()).toEqual({ n: 1 });
  });

  it("rejects an arm that is not v1_backtest or v2_paper, naming the database", () => {
    conn.sqlite.prepare("INSERT INTO ab_active_model (id, active_arm) VALUES (1, 'v3')").run();
    expect(() => readActiveState(conn)).toThrow(ModelIntegrityError);
    expect(() => readActiveState(conn)).toThrow(`ab_active_model.active_arm is "v3" in ${conn.path}, expected v1_backtest or v2_paper`);
  });
});

describe("active_model.json", () => {
  it("is written with the bot's snake_case keys and read back as written", () => {
    const file = activeFileFromState(SWAPPED);
    expect(file).toEqual({ arm: "v2_paper", version: "run-7", versionDir: "/srv/models/run-7", manifestSha256: "b".repeat(64), swappedAt: "2026-11-02T13:00:00.000Z", runId: 12 });
    writeActiveModel(modelsDir, file);
    expect(JSON.parse(readFileSync(activeModelPath(modelsDir), "utf8"))).toEqual({
      arm: "v2_paper",
      version: "run-7",
      version_dir: "/srv/models/run-7",
      manifest_sha256: "b".repeat(64),
      swapped_at: "2026-11-02T13:00:00.000Z",
      run_id: 12,
    });
    expect(readActiveModel(modelsDir)).toEqual(file);
  });

  it("reads as null when absent, and as ModelIntegrityError naming the file when corrupt or armless", () => {
    expect(readActiveModel(modelsDir)).toBeNull();
    mkdirSync(modelsDir, { recursive: true });
    const path = activeModelPath(modelsDir);
    writeFileSync(path, '{"arm":"v2_pa');
    expect(() => readActiveModel(modelsDir)).toThrow(`active model pointer is not valid JSON: ${path}`);
    writeFileSync(path, '{"arm":"v3"}');
    expect(() => readActiveModel(modelsDir)).toThrow(`active model pointer has no valid "arm": ${path}`);
  });
});

describe("reconcileActiveModelFile", () => {
  it("leaves the file alone before the first swap", () => {
    mkdirSync(modelsDir, { recursive: true });
    writeFileSync(activeModelPath(modelsDir), "not json");
    expect(reconcileActiveModelFile(conn, modelsDir, logger())).toBe("no-db-state");
    expect(readFileSync(activeModelPath(modelsDir), "utf8")).toBe("not json");
  });

  it.each([
    ["missing", null, "missing"],
    ["stale", '{"arm":"v1_backtest","version":"run-1","run_id":3}', "differs from ab_active_model"],
    ["corrupt", "{", "active model pointer is not valid JSON"],
  ])("rewrites a %s file from the row, says why, and is in sync afterwards", (_label, content, problem) => {
    writeActiveState(conn, SWAPPED);
    if (content !== null) {
      mkdirSync(modelsDir, { recursive: true });
      writeFileSync(activeModelPath(modelsDir), content);
    }
    const log = logger();
    expect(reconcileActiveModelFile(conn, modelsDir, log)).toBe("rewritten");
    expect(readActiveModel(modelsDir)).toEqual(activeFileFromState(SWAPPED));
    expect(log.warn).toHaveBeenCalledWith("active_model.json rewritten from ab_active_model", expect.objectContaining({ problem: expect.stringContaining(problem), arm: "v2_paper", runId: 12 }));
    expect(reconcileActiveModelFile(conn, modelsDir, log)).toBe("in-sync");
    expect(log.warn).toHaveBeenCalledOnce();
  });
});
