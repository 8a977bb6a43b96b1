// A parent job that fans out children and waits for them, through runWorker on the real Redis:
// the wait is neither a failure nor a completion, the checkpoint and one deadline survive the wait,
// the parent runs again when its children finish (or when one fails for good, or when a cancel
// removes them), and the exclusive retrain slot stays held throughout.
import { Worker, type Queue } from "bullmq";
import { describe, expect, it } from "vitest";
import { SuspendedError } from "@mlq/core";
import { createLogger } from "@mlq/logger";
import { requestCancel } from "./cancel.js";
import { addChildren, childJobKey, flowCancelReason, parentStoppedReason, parseJobKey, readChildren, stopChildren } from "./flow.js";
import { exclusiveHolder } from "./exclusive.js";
import { wakeOverdueParents } from "./flow-watchdog.js";
import { type JobHandler, type JobIo, type RunWorkerOptions, type WorkerHandle } from "./run-worker.js";
import type { QueueName, TrainPayload } from "./catalog.js";
import type { RedisFixture } from "./test-support.test-util.js";
import { startTestWorker, waitFinished, waitState, workerConnection, useRedisWorkers } from "./test-support.test-util.js";

const logger = createLogger({ name: "flow-test", console: false });

const params = { rounds: 5, maxDepth: 3, eta: 0.1, treeMethod: "hist" as const };
const child = (candidate: number, runId = 1): TrainPayload => ({
  runId,
  dataSha256: "a".repeat(64),
  build: "b1",
  model: "direction",
  candidate,
  params,
});

describe("flows through runWorker (real Redis)", () => {
  let fx!: RedisFixture;
  const handles: WorkerHandle[] = [];
  useRedisWorkers((f) => (fx = f), handles);

  const start = <Q extends QueueName>(queue: Q, handler: JobHandler<Q>, extra: Partial<RunWorkerOptions<Q>> = {}): WorkerHandle =>
    startTestWorker(fx, handles, logger, queue, handler, { shutdownGraceMs: 2_000, ...extra });

  /** A parent that adds `n` children on its first pass, waits, and on the next pass returns what they returned (or throws their failure). */
  function parentHandler(
    n: number,
    passes: { state: unknown; deadlineMs: number; attempt: number }[],
    opts: { stopOnFailure?: boolean } = {},
  ): JobHandler<"retrain"> {
    const train = fx.queue("train");
    return async (_payload, io: JobIo) => {
      passes.push({ state: io.resumeState, deadlineMs: io.deadlineMs, attempt: io.attempt });
      const ids = Array.from({ length: n }, (_, i) => `p${io.jobId}-c${i}`);
      const st = await readChildren<{ value: number }>(fx.conn, fx.prefix, "train", io.job, ids);
      if (st.failed.size > 0) {
        const why = `child failed: ${[...st.failed.values()][0]}`;
        if (opts.stopOnFailure) await stopChildren(fx.conn, fx.prefix, io.job, parentStoppedReason(io.jobId, why));
        throw new Error(why);
      }
      if (st.done.size === n)
        return {
          values: ids.map((id) => st.done.get(id)!.value),
          cancelled: await flowCancelReason(fx.conn, fx.prefix, "retrain", io.jobId),
        };
      if ((await flowCancelReason(fx.conn, fx.prefix, "retrain", io.jobId)) !== null) return { cancelled: true, pending: st.pending.size };
      await io.checkpoint({ step: "children", added: st.missing.size });
      await addChildren(
        train,
        io.job,
        [...st.missing].map((id, i) => ({ id, name: "train", data: child(i) as unknown as Record<string, unknown> })),
        { attempts: 1 },
      );
      if (await io.job.moveToWaitingChildren(io.token ?? "")) throw new SuspendedError(`waiting for ${n} children`);
      return { raced: true };
    };
  }

  /** A parent (`parentHandler(n)`) added as `jobId` and run until it waits for its children. */
  async function waitingParent(
    jobId: string,
    n: number,
    o: { stopOnFailure?: boolean; worker?: Partial<RunWorkerOptions<"retrain">>; dedup?: boolean } = {},
  ): Promise<{ retrain: Queue; passes: { state: unknown; deadlineMs: number; attempt: number }[] }> {
    const passes: { state: unknown; deadlineMs: number; attempt: number }[] = [];
    start("retrain", parentHandler(n, passes, { stopOnFailure: o.stopOnFailure }), o.worker);
    const retrain = fx.queue("retrain");
    await retrain.add("retrain", { trigger: "force" }, { jobId, ...(o.dedup && { deduplication: { id: "retrain" } }) });
    await waitState(retrain, jobId, ["waiting-children"]);
    return { retrain, passes };
  }

  it("suspends the parent, resumes it with its checkpoint and deadline once the children are done, and keeps the retrain slot", async () => {
    const { retrain, passes } = await waitingParent("r1", 3, { dedup: true });
    // Waiting is neither a failure nor a completion, and the slot is still held by the parent.
    const waiting = await retrain.getJob("r1");
    expect(waiting!.attemptsMade).toBe(0);
    expect(waiting!.failedReason).toBeFalsy();
    expect(await exclusiveHolder(fx.conn, fx.prefix, "retrain", "retrain")).toBe("r1");
    expect(waiting!.data).toMatchObject({ trigger: "force", flow: { state: { step: "children", added: 3 } } });

    start("train", async (payload) => ({ value: payload.candidate * 10 }));
    const done = await waitFinished(retrain, "r1", 15_000);
    expect(await done.getState()).toBe("completed");
    expect(done.returnvalue).toEqual({ values: [0, 10, 20], cancelled: null });
    expect(passes).toHaveLength(2);
    expect(passes[0]!.state).toBeUndefined();
    expect(passes[1]!.state).toEqual({ step: "children", added: 3 });
    // One deadline across both passes.
    expect(passes[1]!.deadlineMs).toBe(passes[0]!.deadlineMs);
    expect(passes[1]!.attempt).toBe(1);
  });

  it("a child that fails for good wakes the parent at once (continueParentOnFailure), which sees the child's reason", async () => {
    const { retrain, passes } = await waitingParent("r2", 4);
    // Only candidate 1 fails; the others never run (this worker takes one job and then is closed).
    let ran = 0;
    start(
      "train",
      async (payload) => {
        ran++;
        if (payload.candidate === 0) throw new Error("bad candidate data");
        await new Promise((r) => setTimeout(r, 60_000));
        return {};
      },
      { concurrency: 1 },
    );
    const failed = await waitFinished(retrain, "r2", 15_000);
    expect(await failed.getState()).toBe("failed");
    expect(failed.failedReason).toContain("child failed: bad candidate data");
    expect(passes).toHaveLength(2);
    expect(ran).toBeGreaterThanOrEqual(1);
  });

  it("a child that stalls past maxStalledCount (its host keeps losing the lock) fails, and that too wakes the parent", async () => {
    const { retrain, passes } = await waitingParent("r7", 1);
    // A host that never renews its lock (as one whose event loop is blocked, or that is frozen): every pick stalls.
    // BullMQ 6.7 moves a stalled job back to wait, and past maxStalledCount marks it to fail on its next pick.
    const hung: (() => void)[] = [];
    let picks = 0;
    const hostConn = workerConnection();
    const host = new Worker(
      "train",
      () => {
        picks++;
        return new Promise<void>((resolve) => hung.push(resolve));
      },
      {
        connection: hostConn,
        prefix: fx.prefix,
        concurrency: 3,
        lockDuration: 300,
        stalledInterval: 200,
        maxStalledCount: 1,
        skipLockRenewal: true,
      },
    );
    host.on("error", () => undefined);
    fx.onCleanup(async () => {
      for (const r of hung) r();
      await host.close(true);
      await hostConn.quit();
    });
    const failed = await waitFinished(retrain, "r7", 20_000);
    expect(failed.failedReason).toBe("child failed: job stalled more than allowable limit");
    expect(passes).toHaveLength(2);
    const child = (await fx.queue("train").getJob("pr7-c0"))!;
    expect(await child.getState()).toBe("failed");
    expect(child.stalledCounter).toBe(2);
    expect(picks).toBe(2);
  });

  it("a parent that fails stops its running children with its own reason, not an operator's cancel", async () => {
    const { retrain } = await waitingParent("r6", 3, { stopOnFailure: true });
    // Candidate 0 fails once candidate 1 is running; candidate 1 runs until it is told to stop.
    let running1!: () => void;
    const started1 = new Promise<void>((r) => (running1 = r));
    start(
      "train",
      async (payload, io) => {
        if (payload.candidate === 0) {
          await started1;
          throw new Error("bad candidate data");
        }
        if (payload.candidate === 1) running1();
        await new Promise((_, reject) => io.signal.addEventListener("abort", () => reject(io.signal.reason as Error), { once: true }));
        return {};
      },
      { concurrency: 2 },
    );
    const failed = await waitFinished(retrain, "r6", 15_000);
    expect(failed.failedReason).toBe("child failed: bad candidate data");
    const train = fx.queue("train");
    const stopped = await waitFinished(train, "pr6-c1", 15_000);
    expect(await stopped.getState()).toBe("failed");
    expect(stopped.failedReason).toBe("stopped by its parent r6: child failed: bad candidate data");
    // Candidate 2 was either still waiting (removed, never run) or taken up when candidate 0 failed (stopped the same way).
    if (await train.getJob("pr6-c2")) expect((await waitFinished(train, "pr6-c2", 15_000)).failedReason).toBe(stopped.failedReason);
  });

  it("mlq cancel on a parent waiting for its children removes them and wakes the parent, which sees the cancel", async () => {
    const { retrain } = await waitingParent("r3", 3);
    expect(await requestCancel(fx.conn, fx.prefix, "retrain", "r3", { requestedBy: "test" })).toBe("cancelled-waiting-children");
    const done = await waitFinished(retrain, "r3", 15_000);
    expect(done.returnvalue).toEqual({ cancelled: true, pending: 0 });
    expect(await fx.queue("train").getJobCountByTypes("waiting", "active", "delayed")).toBe(0);
  });

  it("one timeout spans every pass: a parent whose deadline passed while it waited fails as timed out when it resumes", async () => {
    const { retrain, passes } = await waitingParent("r4", 2, { worker: { timeoutMs: 1_500 } });
    const deadline = ((await retrain.getJob("r4"))!.data as { flow: { deadlineMs: number } }).flow.deadlineMs;
    // The children only run after the deadline has passed.
    await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now()) + 100));
    start("train", async () => ({ value: 1 }));
    const failed = await waitFinished(retrain, "r4", 15_000);
    expect(await failed.getState()).toBe("failed");
    expect(failed.failedReason).toBe("timed out after 1.5s");
    expect(passes.map((p) => p.deadlineMs)).toEqual([deadline, deadline]);
  });

  it("the watchdog wakes a parent still waiting past its deadline (no training host attached): it runs again and sees the timeout", async () => {
    const { retrain, passes } = await waitingParent("r5", 3, { worker: { timeoutMs: 60_000 } });
    const deadline = passes[0]!.deadlineMs;
    const o = { connection: fx.conn, prefix: fx.prefix, queue: "retrain" as const, timeoutMs: 60_000, logger };
    expect(await wakeOverdueParents({ ...o, now: () => deadline - 1 })).toEqual([]);
    expect(await wakeOverdueParents({ ...o, now: () => deadline + 1 })).toEqual(["r5"]);
    const done = await waitFinished(retrain, "r5", 15_000);
    expect(done.returnvalue).toEqual({ cancelled: true, pending: 0 });
    expect(await flowCancelReason(fx.conn, fx.prefix, "retrain", "r5")).toBe("timed out after 1min (still waiting for its children)");
    expect(await fx.queue("train").getJobCountByTypes("waiting", "active", "delayed")).toBe(0);
  });

  it("job keys parse back to queue and id", () => {
    expect(parseJobKey("{p}", childJobKey("{p}", "train", "r-1-direction-0"))).toEqual({ queue: "train", id: "r-1-direction-0" });
    expect(parseJobKey("{p}", "{q}:train:1")).toBeNull();
  });
});
