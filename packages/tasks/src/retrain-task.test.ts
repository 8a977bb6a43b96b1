import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openMigrated } from "@mlq/db";
import { runRetrainTask } from "./retrain-task.js";
import { recordingIo, taskFixture, type TaskFixture } from "./fixture.test-util.js";

let fx: TaskFixture;
beforeEach(async () => {
  fx = await taskFixture();
});
afterEach(() => fx.cleanup());

describe("runRetrainTask", () => {
  it("runs the retrain on the configured database under the job id and logs its outcome", async () => {
    const io = recordingIo();
    const s = await runRetrainTask(fx.config, { trigger: "dry-run" }, io);
    expect(s).toMatchObject({ trigger: "dry-run", outcome: "dry-run" });
    const conn = openMigrated(fx.config.dbPath);
    try {
      expect(conn.sqlite.prepare("SELECT id, job_id, trigger_reason, status FROM phase2_retrain_runs").all()).toEqual([
        { id: s.runId, job_id: "job-7", trigger_reason: "dry-run", status: "done" },
      ]);
    } finally {
      conn.close();
    }
    expect(io.lines).toContainEqual({ level: "info", msg: s.message });
    expect(io.stages).toContain("gates");
  });
});
