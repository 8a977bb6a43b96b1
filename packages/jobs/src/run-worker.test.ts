import { describe, expect, it } from "vitest";
import { InputDataError, TransientDbError } from "@mlq/core";
import { createLogger } from "@mlq/logger";
import { requestCancel, recentCancellations } from "./cancel.js";
import { classifyFailure, formatDuration, throttledProgress } from "./run-worker.js";
import type { JobFailure, JobHandler, JobIo, RunWorkerOptions, WorkerHandle } from "./run-worker.js";
import type { QueueName } from "./catalog.js";
import type { RedisFixture} from "./test-support.test-util.js";
import { startTestWorker, waitFinished, waitFor, waitState, workerConnection, useRedisWorkers } from "./test-support.test-util.js";

const logger = createLogger({ name: "jobs-test", console: false });

describe("formatDuration", () => {
  it.each([
    [7_200_000, "2h"],
    [1_800_000, "30min"],
    [5_400_000, "1.5h"],
    [1_500, "1.5s"],
    [200, "200ms"],
  ])("%i ms -> %s", (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe("classifyFailure", () => {
  it.each([
    ["plain error", new Error("x"), undefined, "retry"],
    ["transient db", new TransientDbError("busy"), undefined, "retry"],
    ["input data", new InputDataError("no ticks"), undefined, "unrecoverable"],
    ["timeout", new Error("x"), "timeout", "unrecoverable"],
    ["cancel", new Error("x"), "cancel", "unrecoverable"],
    ["shutdown even for a non-retryable error", new InputDataError("x"), "shutdown", "release"],
  ] as const)("%s -> %s", (_n, err, kind, expected) => expect(classifyFailure(err, kind)).toBe(expected));
});

describe("throttledProgress", () => {
  it("sends the first report and stage changes at once, coalesces the rest to the latest value", async () => {
    let t = 0;
    const sent: unknown[] = [];
    const { report, flush } = throttledProgress(
      (p) => (sent.push(p), Promise.resolve()),
      1000,
      () => undefined,
      () => t,
    );
    report({ stage: "load", pct: 1 });
    report({ stage: "load", pct: 2 });
    report({ stage: "load", pct: 3 });
    report({ stage: "train", pct: 150, detail: "model 1/5" });
    t = 500;
    report({ stage: "train", pct: 20 });
    await flush();
    expect(sent).toEqual([
      { stage: "load", pct: 1 },
      { stage: "train", pct: 100, detail: "model 1/5" },
      { stage: "train", pct: 20 },
    ]);
  });

  it("never throws when the write fails", async () => {
    const errors: unknown[] = [];
    const { report, flush } = throttledProgress(
      () => Promise.reject(new Error("redis down")),
      10,
      (e) => errors.push(e),
    );
    expect(() => report({ stage: "a", pct: 1 })).not.toThrow();
    await flush();
    expect(errors).toHaveLength(1);
  });
});

describe("runWorker (real Redis)", () => {
  let fx!: RedisFixture;
  const handles: WorkerHandle[] = [];
  useRedisWorkers((f) => (fx = f), handles);

  const start = <Q extends QueueName>(queue: Q, handler: JobHandler<Q>, extra: Partial<RunWorkerOptions<Q>> = {}): WorkerHandle =>
    startTestWorker(fx, handles, logger, queue, handler, extra);

  it("validates the payload, runs the handler and stores its summary, progress and job log", async () => {
    const seen: unknown[] = [];
    start("retrain", async (payload, io) => {
      seen.push(payload, io.attempt, io.queue);
      io.logger.info("training", { k: 1 });
      io.progress({ stage: "train", pct: 40, detail: "model 2/5" });
      return { trained: 5, trigger: payload.trigger };
    });
    const q = fx.queue("retrain");
    await q.add("retrain", { trigger: "force" }, { jobId: "r-1" });
    const job = await waitFinished(q, "r-1");
    expect(await job.getState()).toBe("completed");
    expect(job.returnvalue).toEqual({ trained: 5, trigger: "force" });
    expect(job.progress).toEqual({ stage: "train", pct: 40, detail: "model 2/5" });
    expect(seen).toEqual([{ trigger: "force" }, 1, "retrain"]);
    const { logs } = await q.getJobLogs("r-1");
    expect(logs.some((l) => / info training \{"k":1\}$/.test(l))).toBe(true);
    expect(logs.some((l) => l.includes("job started"))).toBe(true);
  });

  it("reports a job that failed for good once: after its last attempt, or at once for an unrecoverable error; not for attempts that will be retried", async () => {
    const failures: JobFailure[] = [];
    let calls = 0;
    start(
      "calibrate",
      async () => {
        calls += 1;
        throw calls <= 3 ? new TransientDbError(`busy ${calls}`) : new InputDataError("no paper_trades");
      },
      { onFailedForGood: (f) => failures.push(f) },
    );
    const q = fx.queue("calibrate");
    await q.add("calibrate", {}, { jobId: "c-1", attempts: 3, backoff: { type: "fixed", delay: 10 } });
    expect(await (await waitFinished(q, "c-1")).getState()).toBe("failed");
    await q.add("calibrate", {}, { jobId: "c-2", attempts: 3, backoff: { type: "fixed", delay: 10 } });
    await waitFinished(q, "c-2");
    await waitFor("the second report", async () => (failures.length === 2 ? true : undefined));
    expect(failures).toEqual([
      { queue: "calibrate", jobId: "c-1", jobName: "calibrate", attempt: 3, maxAttempts: 3, error: "busy 3" },
      { queue: "calibrate", jobId: "c-2", jobName: "calibrate", attempt: 1, maxAttempts: 3, error: "no paper_trades" },
    ]);
  });

  it("fails an invalid payload at once with the validation message and no retry", async () => {
    let calls = 0;
    start("ab-eval", async () => ((calls += 1), {}));
    const q = fx.queue("ab-eval");
    await q.add("ab-eval", { action: "explode" }, { jobId: "bad-1", attempts: 3, backoff: { type: "fixed", delay: 10 } });
    const job = await waitFinished(q, "bad-1");
    expect(await job.getState()).toBe("failed");
    expect(job.failedReason).toMatch(/^invalid ab-eval payload: action: /);
    expect(job.attemptsMade).toBe(1);
    expect(calls).toBe(0);
  });

  it("maps a non-retryable MlqError to an unrecoverable failure with the same message", async () => {
    start("calibrate", async () => {
      throw new InputDataError("paper_trades table missing in /d/x.db");
    });
    const q = fx.queue("calibrate");
    await q.add("calibrate", {}, { jobId: "c-1", attempts: 3, backoff: { type: "fixed", delay: 10 } });
    const job = await waitFinished(q, "c-1");
    expect(job.failedReason).toBe("paper_trades table missing in /d/x.db");
    expect(job.attemptsMade).toBe(1);
  });

  it("retries a retryable error with backoff and completes on the second attempt", async () => {
    const attempts: number[] = [];
    start("calibrate", async (_p, io) => {
      attempts.push(io.attempt);
      if (io.attempt === 1) throw new TransientDbError("database is locked (SQLITE_BUSY)");
      return { ok: true };
    });
    const q = fx.queue("calibrate");
    await q.add("calibrate", {}, { jobId: "c-2", attempts: 2, backoff: { type: "exponential", delay: 10 } });
    const job = await waitFinished(q, "c-2");
    expect(await job.getState()).toBe("completed");
    expect(attempts).toEqual([1, 2]);
    expect(job.attemptsMade).toBe(2);
  });

  it("tells the handler its attempt limit and whether this attempt is the last (finalAttempt)", async () => {
    const seen: [number, number, boolean][] = [];
    start("calibrate", async (_p, io) => {
      seen.push([io.attempt, io.maxAttempts, io.finalAttempt]);
      throw new TransientDbError("database is locked (SQLITE_BUSY)");
    });
    const q = fx.queue("calibrate");
    await q.add("calibrate", {}, { jobId: "c-3", attempts: 3, backoff: { type: "fixed", delay: 10 } });
    await q.add("calibrate", {}, { jobId: "c-4" });
    const job = await waitFinished(q, "c-3");
    await waitFinished(q, "c-4");
    expect(job.attemptsMade).toBe(3);
    // c-3: attempts 1 and 2 may be retried, 3 may not; c-4 has no attempts option: its only attempt is the last.
    expect(seen.filter(([, max]) => max === 3)).toEqual([
      [1, 3, false],
      [2, 3, false],
      [3, 3, true],
    ]);
    expect(seen.filter(([, max]) => max === 1)).toEqual([[1, 1, true]]);
  });

  it("fails a payload that names a file at once, without running the handler", async () => {
    let calls = 0;
    start("calibrate", async () => ((calls += 1), {}));
    const q = fx.queue("calibrate");
    await q.add("calibrate", { outPath: "/tmp/x/owned.json" }, { jobId: "p-1", attempts: 3, backoff: { type: "fixed", delay: 10 } });
    const job = await waitFinished(q, "p-1");
    expect(await job.getState()).toBe("failed");
    expect(job.failedReason).toBe(
      "invalid calibrate payload: outPath is not accepted in job payloads: workers use their configured calibration file (MLQ_CALIBRATION_PATH)",
    );
    expect(job.attemptsMade).toBe(1);
    expect(calls).toBe(0);
  });

  it("aborts the signal on timeout and fails the job 'timed out after 200ms' without retry, even if the handler ignores the signal", async () => {
    let signal: AbortSignal | undefined;
    start(
      "ab-eval",
      async (_p, io) => {
        signal = io.signal;
        await new Promise((r) => setTimeout(r, 3_000)); // ignores the signal on purpose
        return {};
      },
      { timeoutMs: 200 },
    );
    const q = fx.queue("ab-eval");
    await q.add("ab-eval", {}, { jobId: "t-1", attempts: 3 });
    const job = await waitFinished(q, "t-1", 2_500);
    expect(job.failedReason).toBe("timed out after 200ms");
    expect(job.attemptsMade).toBe(1);
    expect(signal?.aborted).toBe(true);
    expect((signal?.reason as Error).message).toBe("timed out after 200ms");
  });

  it("cancels an active job from another connection: signal fires, job fails 'cancelled by operator' without retry", async () => {
    let io: JobIo | undefined;
    start("retrain", (_p, jobIo) => {
      io = jobIo;
      return new Promise((_, reject) => jobIo.signal.addEventListener("abort", () => reject(jobIo.signal.reason as Error)));
    });
    const q = fx.queue("retrain");
    await q.add("retrain", { trigger: "force" }, { jobId: "a-1", attempts: 3 });
    await waitState(q, "a-1", ["active"]);
    await waitFor("handler to start", async () => io);
    const other = workerConnection();
    try {
      expect(await requestCancel(other, fx.prefix, "retrain", "a-1", { requestedBy: "test" })).toBe("signalled-active");
    } finally {
      await other.quit();
    }
    const job = await waitFinished(q, "a-1");
    expect(job.failedReason).toBe("cancelled by operator");
    expect(job.attemptsMade).toBe(1);
    expect(io?.signal.aborted).toBe(true);
    expect(await requestCancel(fx.conn, fx.prefix, "retrain", "a-1")).toBe("already-finished");
  });

  it("cancels a waiting job by removing it, records it, and reports unknown ids as not-found", async () => {
    const q = fx.queue("calibrate");
    await q.add("calibrate", { requestedBy: "cron" }, { jobId: "w-1" });
    await q.add("calibrate", {}, { jobId: "w-2", delay: 60_000 });
    expect(await requestCancel(fx.conn, fx.prefix, "calibrate", "w-1", { requestedBy: "ops" })).toBe("cancelled-waiting");
    expect(await requestCancel(fx.conn, fx.prefix, "calibrate", "w-2")).toBe("cancelled-waiting");
    expect(await q.getJob("w-1")).toBeUndefined();
    expect(await q.getJob("w-2")).toBeUndefined();
    expect(await requestCancel(fx.conn, fx.prefix, "calibrate", "nope")).toBe("not-found");
    const audit = await recentCancellations(fx.conn, fx.prefix);
    expect(audit.map((a) => [a.jobId, a.outcome, a.previousState])).toEqual([
      ["w-2", "cancelled-waiting", "delayed"],
      ["w-1", "cancelled-waiting", "waiting"],
    ]);
    expect(audit[1]).toMatchObject({ requestedBy: "ops", data: { requestedBy: "cron" } });
  });

  it("on close() waits out the grace period, then aborts the job with 'worker shutting down' and releases it for retry", async () => {
    let io: JobIo | undefined;
    const h = start(
      "retrain",
      (_p, jobIo) => {
        io = jobIo;
        return new Promise((_, reject) => jobIo.signal.addEventListener("abort", () => reject(jobIo.signal.reason as Error)));
      },
      { shutdownGraceMs: 300 },
    );
    const q = fx.queue("retrain");
    await q.add("retrain", { trigger: "force" }, { jobId: "s-1", attempts: 1 });
    await waitState(q, "s-1", ["active"]);
    await waitFor("handler to start", async () => io);
    const t0 = Date.now();
    await h.close();
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(250);
    expect((io?.signal.reason as Error).message).toBe("worker shutting down");
    const job = await q.getJob("s-1");
    expect(["delayed", "waiting"]).toContain(await job!.getState());
    expect(job!.attemptsMade).toBe(0); // released, not failed: the single attempt is still available

    // Another worker picks it up and finishes it.
    start("retrain", async () => ({ resumed: true }));
    const done = await waitFinished(q, "s-1");
    expect(done.returnvalue).toEqual({ resumed: true });
  });

  it("lets a job finish within the grace period and closes without aborting it", async () => {
    let aborted = false;
    const h = start(
      "calibrate",
      async (_p, io) => {
        await new Promise((r) => setTimeout(r, 150));
        aborted = io.signal.aborted;
        return { finished: true };
      },
      { shutdownGraceMs: 5_000 },
    );
    const q = fx.queue("calibrate");
    await q.add("calibrate", {}, { jobId: "g-1" });
    await waitState(q, "g-1", ["active"]);
    await h.close();
    const job = await q.getJob("g-1");
    expect(await job!.getState()).toBe("completed");
    expect(aborted).toBe(false);
  });

  it("skips a retrain (e.g. a scheduled one) while another retrain holds the exclusive slot", async () => {
    let release: () => void = () => undefined;
    const ran: string[] = [];
    start(
      "retrain",
      async (_p, io) => {
        ran.push(io.jobId);
        if (io.jobId === "hold-1") await new Promise<void>((r) => (release = r));
        return { ran: io.jobId };
      },
      { concurrency: 2 },
    );
    const q = fx.queue("retrain");
    await q.add("retrain", { trigger: "force" }, { jobId: "hold-1", deduplication: { id: "retrain" } });
    await waitState(q, "hold-1", ["active"]);
    await q.add("retrain", { trigger: "scheduled" }, { jobId: "sched-1" }); // scheduler jobs carry no deduplication
    const skipped = await waitFinished(q, "sched-1");
    expect(skipped.returnvalue).toEqual({
      skipped: true,
      reason: "skipped: another retrain is running or queued (job hold-1)",
      otherJobId: "hold-1",
    });
    release();
    await waitFinished(q, "hold-1");
    expect(ran).toEqual(["hold-1"]);
    // The slot is free again: the next scheduled retrain runs, and holds the slot while it runs.
    await q.add("retrain", { trigger: "scheduled" }, { jobId: "sched-2" });
    const ok = await waitFinished(q, "sched-2");
    expect(ok.returnvalue).toEqual({ ran: "sched-2" });
    expect(await fx.conn.exists(`${fx.prefix}:retrain:de:retrain`)).toBe(0);
  });
});
