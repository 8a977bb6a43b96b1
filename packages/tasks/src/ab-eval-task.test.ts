import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TransientDbError, silentLogger } from "@mlq/core";
import { openMigrated } from "@mlq/db";
import { runAbEvaluation } from "@mlq/ab";
import { abEvalDeps, abPolicyFromConfig, runAbEvalTask } from "./ab-eval-task.js";
import { localTaskIo } from "./task-io.js";
import { dbRows, recordingIo, taskFixture, type TaskFixture } from "./fixture.test-util.js";

let fx: TaskFixture;
beforeEach(async () => {
  fx = await taskFixture();
});
afterEach(() => fx.cleanup());

const abRows = () => dbRows(fx, "SELECT job_id, action, dry_run, success, error_msg, swap_executed FROM ab_test_runs ORDER BY id");

describe("runAbEvalTask", () => {
  it("evaluates the configured database with the configured policy and records the run under the job id", async () => {
    const io = recordingIo();
    const s = await runAbEvalTask(fx.config, { action: "dry-run" }, io);
    expect(s).toMatchObject({ action: "dry-run", dryRun: true, jobId: "job-7", swapExecuted: false });
    expect(s.decision?.reasons.join(" ")).toContain(`${fx.config.ab.minTradesPerArm}`);
    expect(abRows()).toEqual([{ job_id: "job-7", action: "evaluate", dry_run: 1, success: 1, error_msg: null, swap_executed: 0 }]);
    expect(io.stages).toEqual(expect.arrayContaining(["reconcile", "evaluate", "record", "done"]));
  });
});

describe("abEvalDeps: a retryable failure and the attempt it happens on", () => {
  // The registry resolver is the one dependency that can be made to fail retryably on demand.
  const busy = (): never => {
    throw new TransientDbError("database busy writing to trading.db");
  };
  function evaluateWith(io: Parameters<typeof abEvalDeps>[2]): void {
    const conn = openMigrated(fx.config.dbPath);
    try {
      expect(() => runAbEvaluation({ ...abEvalDeps(fx.config, conn, io), resolveArmModel: busy }, { action: "force-swap", policy: abPolicyFromConfig(fx.config) })).toThrow(TransientDbError);
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
