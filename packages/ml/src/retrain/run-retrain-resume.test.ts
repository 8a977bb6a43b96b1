// A retrain that suspends at its search (the candidates train as child jobs) and resumes in a later
// pass of the same job: the checkpoint holds the run row, the clock and the small state of the stages
// before it; the resumed pass keeps the row open, skips those stages, rebuilds the dataset stages and
// continues; a failure clears the checkpoint; a checkpoint of a closed run starts afresh.
import { afterEach, describe, expect, it } from "vitest";
import { InputDataError, SuspendedError } from "@mlq/core";
import { listRetrainRuns } from "./retrain-runs-store.js";
import { retrainFixture, runRow, type RetrainFixture } from "./retrain.test-util.js";
import { parseRetrainCheckpoint, runRetrain, type RetrainCheckpoint, type RetrainMemo } from "./run-retrain.js";
import type { RetrainStage } from "./stage.js";

let fx: RetrainFixture | undefined;
afterEach(() => fx?.dispose());

const NOW = Date.UTC(2026, 5, 1);

/** gates → features → search (suspends while `suspend()` says so) → done; records which stages ran. */
function pipeline(calls: string[], suspend: () => boolean, failAtDone = false): RetrainStage[] {
  return [
    {
      name: "gates",
      progress: [0, 10],
      run(ctx) {
        calls.push("gates");
        ctx.state.gatePass = true;
        ctx.state.costFraction = 0.0042;
        return undefined;
      },
    },
    {
      name: "features",
      progress: [10, 20],
      run() {
        calls.push("features");
        return undefined;
      },
    },
    {
      name: "search",
      progress: [20, 60],
      checkpointBefore: true,
      run(ctx) {
        calls.push(`search(cost ${ctx.state.costFraction})`);
        if (suspend()) throw new SuspendedError("waiting for 10 of 10 search candidates");
        return undefined;
      },
    },
    {
      name: "done",
      progress: [60, 100],
      run() {
        calls.push("done");
        if (failAtDone) throw new InputDataError("the registry refused the set");
        return { outcome: "dry-run", success: true, message: "resumed and finished" };
      },
    },
  ];
}

/** A run suspended at its search: its deps (with a recording checkpoint store) and the checkpoint it saved. */
async function suspendedRun(jobId: string) {
  fx = retrainFixture();
  const saved: (RetrainCheckpoint | null)[] = [];
  const deps = {
    conn: fx.conn,
    config: fx.config,
    nowMs: NOW,
    jobId,
    checkpoint: async (c: RetrainCheckpoint | null) => void saved.push(c),
  };
  await runRetrain(
    deps,
    { trigger: "force" },
    pipeline([], () => true),
  ).catch(() => undefined);
  return { deps, saved, cp: saved[0]!, conn: fx.conn };
}

describe("runRetrain across a suspension", () => {
  it("checkpoints before the search, keeps the run row open while suspended, and resumes on it without re-running earlier stages", async () => {
    fx = retrainFixture();
    const calls: string[] = [];
    const saved: (RetrainCheckpoint | null)[] = [];
    let suspended = true;
    const deps = {
      conn: fx.conn,
      config: fx.config,
      nowMs: NOW,
      jobId: "r-1",
      checkpoint: async (c: RetrainCheckpoint | null) => void saved.push(c),
    };
    const err = await runRetrain(
      deps,
      { trigger: "force" },
      pipeline(calls, () => suspended),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SuspendedError);
    expect(calls).toEqual(["gates", "features", "search(cost 0.0042)"]);
    expect(saved).toHaveLength(1);
    const cp = saved[0]!;
    expect(cp).toMatchObject({ v: 1, nowMs: NOW, trigger: "force", step: "search", state: { gatePass: true, costFraction: 0.0042 } });
    // The dataset stages are rebuilt on resume, so they are not among the stages done.
    expect(Object.keys(cp.stageMs)).toEqual(["gates"]);
    expect(runRow(fx.conn, cp.runId)).toMatchObject({ status: "running", job_id: "r-1" });

    // The next pass of the job, later: a different clock, the same run.
    suspended = false;
    calls.length = 0;
    const s = await runRetrain(
      { ...deps, nowMs: NOW + 3_600_000, resume: JSON.parse(JSON.stringify(cp)) },
      { trigger: "force" },
      pipeline(calls, () => suspended),
    );
    expect(calls).toEqual(["features", "search(cost 0.0042)", "done"]);
    expect(s.runId).toBe(cp.runId);
    expect(s.gatePass).toBe(true);
    expect(Object.keys(s.stageMs)).toEqual(["gates", "features", "search", "done"]);
    expect(s.stageMs.search).toBeGreaterThanOrEqual(0);
    expect(saved).toHaveLength(1);
    expect(listRetrainRuns(fx.conn, { limit: 5 })).toHaveLength(1);
    expect(runRow(fx.conn, s.runId)).toMatchObject({ status: "done", ts_ms: NOW, error_msg: null });
  });

  it("a resumed pass in the same process takes the suspended run's dataset from the memo instead of rebuilding it", async () => {
    fx = retrainFixture();
    const calls: string[] = [];
    const saved: (RetrainCheckpoint | null)[] = [];
    const memo: { current?: RetrainMemo } = {};
    let suspended = true;
    const deps = {
      conn: fx.conn,
      config: fx.config,
      nowMs: NOW,
      jobId: "r-4",
      memo,
      checkpoint: async (c: RetrainCheckpoint | null) => void saved.push(c),
    };
    await runRetrain(
      deps,
      { trigger: "force" },
      pipeline(calls, () => suspended),
    ).catch(() => undefined);
    expect(memo.current?.runId).toBe(saved[0]!.runId);
    expect(Object.keys(memo.current!.stageMs)).toEqual(["features"]);
    suspended = false;
    calls.length = 0;
    const s = await runRetrain(
      { ...deps, resume: saved[0] },
      { trigger: "force" },
      pipeline(calls, () => suspended),
    );
    expect(calls).toEqual(["search(cost 0.0042)", "done"]);
    expect(Object.keys(s.stageMs)).toEqual(["gates", "features", "search", "done"]);
    expect(memo.current).toBeUndefined();
    // A memo of another run is not used.
    memo.current = { runId: 999, state: {}, stageMs: { features: 1 } };
    await runRetrain(
      { ...deps, jobId: "r-5", checkpoint: undefined },
      { trigger: "force" },
      pipeline(((calls.length = 0), calls), () => false),
    );
    expect(calls).toEqual(["gates", "features", "search(cost 0.0042)", "done"]);
    expect(memo.current).toBeUndefined();
  });

  it("a resumed pass that fails closes the run row as failed and clears the checkpoint, so a retry starts afresh", async () => {
    const { deps, saved, cp, conn } = await suspendedRun("r-2");
    const err = await runRetrain(
      { ...deps, resume: cp },
      { trigger: "force" },
      pipeline([], () => false, true),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputDataError);
    expect(saved).toEqual([cp, null]);
    expect(runRow(conn, cp.runId)).toMatchObject({ status: "failed", error_msg: "the registry refused the set" });
  });

  it("a checkpoint whose run was closed meanwhile (or of another trigger, or malformed) is ignored: a new run starts", async () => {
    const { deps, cp, conn } = await suspendedRun("r-3");
    conn.sqlite.prepare("UPDATE phase2_retrain_runs SET status = 'failed' WHERE id = ?").run(cp.runId);
    const calls: string[] = [];
    const s = await runRetrain(
      { ...deps, resume: cp },
      { trigger: "force" },
      pipeline(calls, () => false),
    );
    expect(s.runId).not.toBe(cp.runId);
    expect(calls[0]).toBe("gates");
    expect(parseRetrainCheckpoint(cp, "smoke")).toBeNull();
    expect(parseRetrainCheckpoint({ ...cp, v: 2 }, "force")).toBeNull();
    expect(parseRetrainCheckpoint({ ...cp, runId: "7" }, "force")).toBeNull();
    expect(parseRetrainCheckpoint(cp, "force")).toEqual(cp);
  });
});
