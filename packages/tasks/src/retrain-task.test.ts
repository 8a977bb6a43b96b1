import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runRetrainTask } from "./retrain-task.js";
import { dbRows, recordingIo, taskFixture, type TaskFixture } from "./fixture.test-util.js";

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
    expect(dbRows(fx, "SELECT id, job_id, trigger_reason, status FROM phase2_retrain_runs")).toEqual([{ id: s.runId, job_id: "job-7", trigger_reason: "dry-run", status: "done" }]);
    expect(io.lines).toContainEqual({ level: "info", msg: s.message });
    expect(io.stages).toContain("gates");
  });
});
