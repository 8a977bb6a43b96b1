import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TransientDbError, silentLogger } from "@mlq/core";
import { openMigrated } from "@mlq/db";
import { runAbEvaluation } from "@mlq/ab";
import { readRoleEvents, registerVersion, saveModelSet } from "@mlq/registry";
import { abEvalDeps, abPolicyFromConfig, runAbEvalTask } from "./ab-eval-task.js";
import { localTaskIo } from "./task-io.js";
import { dbRows, recordingIo, taskFixture, type TaskFixture } from "./fixture.test-util.js";

let fx: TaskFixture;
beforeEach(async () => {
  fx = await taskFixture();
});
afterEach(() => fx.cleanup());

const abRows = () => dbRows(fx, "SELECT job_id, action, dry_run, success, error_msg, swap_executed FROM ab_test_runs ORDER BY id");

describe("abPolicyFromConfig", () => {
  it("takes every A/B setting from the config", () => {
    expect(abPolicyFromConfig(fx.config)).toEqual({ minTradesPerArm: 100, alpha: 0.05, alphaBudget: 0.25, challengerMaxDays: 60, shadowWorseP: 0.05, evidence: "paper" });
    const ab = { ...fx.config.ab, minTradesPerArm: 37, alpha: 0.04, alphaBudget: 0.2, challengerMaxDays: 30, shadowWorseP: 0.1 };
    expect(abPolicyFromConfig({ ab })).toEqual({ minTradesPerArm: 37, alpha: 0.04, alphaBudget: 0.2, challengerMaxDays: 30, shadowWorseP: 0.1, evidence: "paper" });
  });
});

describe("runAbEvalTask", () => {
  it("records a dry run under the job id on the configured database, with nothing to evaluate before the first version", async () => {
    const io = recordingIo();
    const s = await runAbEvalTask(fx.config, { action: "dry-run" }, io);
    expect(s).toMatchObject({ action: "dry-run", dryRun: true, jobId: "job-7", swapExecuted: false, outcome: "idle", champion: null });
    expect(abRows()).toEqual([{ job_id: "job-7", action: "evaluate", dry_run: 1, success: 1, error_msg: null, swap_executed: 0 }]);
    expect(io.stages).toEqual(expect.arrayContaining(["reconcile", "evaluate", "record", "done"]));
  });

  it("evaluates with the configured policy: the free slot is filled at the configured α, readiness at the configured trade count", async () => {
    const conn = openMigrated(fx.config.dbPath);
    try {
      for (const [v, ts] of [
        ["1", Date.UTC(2024, 11, 1)],
        ["2", Date.UTC(2024, 11, 20)],
      ] as const) {
        saveModelSet(fx.config.modelsDir, v, {
          models: [{ name: "direction", bytes: Uint8Array.from([Number(v), 7]) }],
          manifest: { featureNames: [], params: {}, dataWindow: {}, metrics: {} },
        });
        registerVersion(conn, fx.config.modelsDir, { version: v, runId: null, trigger: "scheduled", nowMs: ts });
      }
    } finally {
      conn.close();
    }
    const config = { ...fx.config, ab: { ...fx.config.ab, minTradesPerArm: 37, alpha: 0.04 } };
    const s = await runAbEvalTask(config, { action: "evaluate" }, recordingIo());
    expect(s).toMatchObject({ jobId: "job-7", champion: "1", challenger: "2", roleChanges: ["take_slot 2"], evaluation: { alphaK: 0.04 } });
    expect(s.conditions.find((c) => c.name === "trades_a")).toMatchObject({ threshold: 37 });
    expect(dbRows(fx, "SELECT job_id, arm_a_version, arm_b_version, alpha_k FROM ab_test_runs")).toEqual([{ job_id: "job-7", arm_a_version: "1", arm_b_version: "2", alpha_k: 0.04 }]);
    const conn2 = openMigrated(fx.config.dbPath);
    try {
      expect(readRoleEvents(conn2).at(-1)).toMatchObject({ event: "take_slot", version: "2", alpha: 0.04 });
    } finally {
      conn2.close();
    }
  });
});

describe("abEvalDeps: a retryable failure and the attempt it happens on", () => {
  // A progress reporter that fails retryably at the decision stands for the database turning busy mid-run.
  const busy = (p: { stage: string }): void => {
    if (p.stage === "decide") throw new TransientDbError("database busy writing to trading.db");
  };
  function evaluateWith(io: Parameters<typeof abEvalDeps>[2]): void {
    const conn = openMigrated(fx.config.dbPath);
    try {
      expect(() => runAbEvaluation({ ...abEvalDeps(fx.config, conn, io), progress: busy }, { action: "force-swap", policy: abPolicyFromConfig(fx.config) })).toThrow(TransientDbError);
    } finally {
      conn.close();
    }
  }

  it("leaves it to the retry before the job's last attempt: no row", () => {
    evaluateWith(recordingIo({ finalAttempt: false }));
    expect(abRows()).toEqual([]);
  });

  it("records it on the job's last attempt: success 0 with the error", () => {
    evaluateWith(recordingIo({ finalAttempt: true }));
    expect(abRows()).toEqual([{ job_id: "job-7", action: "force-swap", dry_run: 0, success: 0, error_msg: "database busy writing to trading.db", swap_executed: 0 }]);
  });

  it("records it under --local, which never retries (localTaskIo)", () => {
    evaluateWith(localTaskIo(silentLogger, () => undefined));
    expect(abRows()).toEqual([{ job_id: null, action: "force-swap", dry_run: 0, success: 0, error_msg: "database busy writing to trading.db", swap_executed: 0 }]);
  });

  it("names the configured models directory and the io's job id", () => {
    const conn = openMigrated(fx.config.dbPath);
    try {
      const deps = abEvalDeps(fx.config, conn, recordingIo({ finalAttempt: false }));
      expect(deps).toMatchObject({ modelsDir: fx.config.modelsDir, jobId: "job-7", finalAttempt: false });
      expect(conn.path).toBe(fx.config.dbPath);
    } finally {
      conn.close();
    }
  });
});
