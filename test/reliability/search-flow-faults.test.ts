// Issue 18, the faults of the search as a BullMQ flow: the built worker-retrain fans its search out as
// child jobs on the train queue and waits in waiting-children; here a training host is SIGKILLed
// mid-child, the published data is corrupted or deleted, the operator cancels the parent, Redis is
// killed and restarted, and a host of another build takes a child. Each case checks where everything
// ends: the retrain job, its one phase2_retrain_runs row, the trials, the train queue, the blob keys.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Job, Queue } from "bullmq";
import { Queue as BullQueue } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "@mlq/core";
import { createProducer } from "@mlq/jobs";
import { mlBuildHash } from "@mlq/ml";
import { E2eFixture, appEntry, demoDb, sqlRows, waitFor, type Spawned } from "../e2e/support.js";
import { freePort } from "./support.js";

/** Two candidates × five models = ten children; small boosters unless a case needs slow ones. */
const FLOW_ENV = { MLQ_SEARCH_MAX_DEPTH: "2,3", MLQ_SEARCH_MIN_DSR: "0", MLQ_SEARCH_TRAINER: "flow", MLQ_IMPORTANCE_ROWS: "0" };
/** Children slow enough to be caught mid-training on any machine (the 10-round ones take well under a second). */
const SLOW_ENV = { MLQ_SEARCH_MAX_DEPTH: undefined, MLQ_SEARCH_ROUNDS: "200,300" };
const UNFINISHED = ["waiting", "active", "delayed", "prioritized", "waiting-children"] as const;

interface RunRow {
  id: number;
  job_id: string;
  status: string;
  success: number;
  error_msg: string | null;
}

/** Where one test's processes, queues and Redis are: the shared server, or a test-owned one. */
interface FlowCtx {
  redisUrl: string;
  redis: Redis;
  retrain: Queue;
  train: Queue;
  env(extra?: Record<string, string | undefined>): Record<string, string>;
}

let fx: E2eFixture;
const afterFixture: (() => unknown)[] = [];

beforeEach(() => {
  fx = new E2eFixture();
});
afterEach(async () => {
  await fx.cleanup();
  for (const fn of afterFixture.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      /* best effort: the rest must still run */
    }
  }
});

function defined(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function sharedCtx(): FlowCtx {
  return {
    redisUrl: fx.env().REDIS_URL!,
    redis: fx.redis,
    retrain: fx.queue("retrain"),
    train: fx.queue("train"),
    env: (extra = {}) => defined({ ...fx.env(), ...FLOW_ENV, ...extra }),
  };
}

/** Queues and a connection on a test-owned Redis (closed after the fixture has stopped the processes). */
function ownCtx(redisUrl: string): FlowCtx {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on("error", () => undefined);
  const retrain = new BullQueue("retrain", { connection: redis, prefix: fx.prefix });
  const train = new BullQueue("train", { connection: redis, prefix: fx.prefix });
  for (const q of [retrain, train]) q.on("error", () => undefined);
  afterFixture.push(
    () => redis.disconnect(),
    () => retrain.close(),
    () => train.close(),
  );
  return {
    redisUrl,
    redis,
    retrain,
    train,
    env: (extra = {}) => defined({ ...fx.env(), REDIS_URL: redisUrl, ...FLOW_ENV, ...extra }),
  };
}

/** A worker-train with its own host id and its own empty directory: nothing on disk in common with the retrain. */
function trainWorker(c: FlowCtx, host: string, extra: Record<string, string | undefined> = {}): Spawned {
  const env = c.env({ ...fx.trainHostEnv(host), ...extra });
  return fx.spawnNode(`worker-train-${host}`, appEntry("worker-train"), [], env);
}

/** The MLQ_HOST_ID a trainWorker was started with. */
function hostId(s: Spawned): string {
  return s.name.replace(/^worker-train-/, "");
}

async function started(...procs: Spawned[]): Promise<void> {
  await Promise.all(procs.map((p) => p.waitForOutput(/worker for queue \S+ started/, 60_000)));
}

/** A demo database, the retrain worker attached, and a forced retrain enqueued; resolves with its job id. */
async function startRetrain(c: FlowCtx, extra: Record<string, string | undefined> = {}): Promise<{ jobId: string; worker: Spawned }> {
  await demoDb(fx.dbPath);
  const worker = fx.spawnNode("worker-retrain", appEntry("worker-retrain"), [], c.env(extra));
  await started(worker);
  const producer = createProducer({ redisUrl: c.redisUrl, prefix: fx.prefix, config: fx.config(c.env(extra)), logger: silentLogger });
  try {
    const { jobId } = await producer.enqueue("retrain", { trigger: "force" });
    return { jobId, worker };
  } finally {
    await producer.stop();
  }
}

async function state(q: Queue, id: string): Promise<string | undefined> {
  return (await q.getJob(id))?.getState();
}

async function waitForState(q: Queue, id: string, want: string, timeoutMs = 90_000, log?: Spawned): Promise<void> {
  await waitFor(
    `${q.name} job ${id} to be ${want}`,
    async () => {
      const s = await state(q, id);
      if (s === want) return true;
      if ((s === "failed" || s === "completed") && want !== s) {
        const job = await q.getJob(id);
        throw new Error(
          `${q.name} job ${id} is ${s} (${job?.failedReason ?? ""}), not ${want}${log ? `\n${log.output().slice(-4000)}` : ""}`,
        );
      }
      return undefined;
    },
    timeoutMs,
    100,
  ).catch((err: unknown) => {
    throw log && !String(err).includes(log.name) ? new Error(`${String(err)}\n--- ${log.name} ---\n${log.output().slice(-4000)}`) : err;
  });
}

/** The parent's search data: the blob keys under the prefix (meta key and chunks). */
async function blobKeys(c: FlowCtx): Promise<string[]> {
  return (await c.redis.keys(`${fx.prefix}:blob:*`)).sort();
}

function runRows(): RunRow[] {
  return sqlRows<RunRow>(fx.dbPath, "SELECT id, job_id, status, success, error_msg FROM phase2_retrain_runs ORDER BY id");
}

function trialRows(runId: number): { model: string; candidate: number; host: string }[] {
  return sqlRows(fx.dbPath, "SELECT model, candidate, host FROM retrain_trials WHERE run_id = ? ORDER BY model, candidate", runId);
}

/**
 * A retrain that must end failed with `reason`: its one run row closed failed with the same message,
 * no trial recorded, no train job left unfinished, the blob and the job's blob set gone.
 */
async function expectFlowFailed(c: FlowCtx, jobId: string, reason: RegExp, log: Spawned): Promise<Job> {
  await waitForState(c.retrain, jobId, "failed", 120_000, log);
  const job = (await c.retrain.getJob(jobId))!;
  expect(job.failedReason).toMatch(reason);
  const runs = runRows();
  expect(runs).toHaveLength(1);
  expect(runs[0]).toMatchObject({ job_id: jobId, status: "failed", success: 0 });
  expect(runs[0]!.error_msg).toMatch(reason);
  expect(trialRows(runs[0]!.id)).toEqual([]);
  // A child that was running when the parent failed is told to abort: give it time to fail.
  await waitFor(
    "no unfinished train job",
    async () => ((await c.train.getJobCountByTypes(...UNFINISHED)) === 0 ? true : undefined),
    30_000,
    100,
  );
  expect(await blobKeys(c)).toEqual([]);
  expect(await c.redis.exists(`${fx.prefix}:mlq:flow-blobs:retrain:${jobId}`)).toBe(0);
  return job;
}

/** The retrain completed once: one run row, done, and all ten trials; returns the trials. */
async function expectFlowDone(c: FlowCtx, jobId: string, log: Spawned): Promise<{ model: string; candidate: number; host: string }[]> {
  await waitForState(c.retrain, jobId, "completed", 120_000, log);
  const summary = (await c.retrain.getJob(jobId))!.returnvalue as { outcome: string; runId: number; search?: { trainer: string } };
  expect(summary.outcome).toBe("trained");
  expect(summary.search?.trainer).toBe("flow");
  expect(runRows()).toEqual([{ id: summary.runId, job_id: jobId, status: "done", success: 1, error_msg: null }]);
  const trials = trialRows(summary.runId);
  expect(trials).toHaveLength(10);
  expect(await c.train.getJobCountByTypes(...UNFINISHED, "failed")).toBe(0);
  expect(await c.train.getJobCountByTypes("completed")).toBe(10);
  expect(await blobKeys(c)).toEqual([]);
  return trials;
}

/** The first child being trained (progress stage "train"), and the host whose log names it. */
async function childInTraining(c: FlowCtx, hosts: Spawned[]): Promise<{ child: Job; host: Spawned }> {
  return waitFor(
    "a child in training",
    async () => {
      for (const child of await c.train.getJobs(["active"])) {
        if ((child.progress as { stage?: string } | undefined)?.stage !== "train") continue;
        const host = hosts.find((h) => h.output().includes(child.id!));
        if (host) return { child, host };
      }
      return undefined;
    },
    90_000,
    50,
  );
}

const secs = (t0: number): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

describe("the search as a BullMQ flow under faults", () => {
  it("a worker-train SIGKILLed mid-child: the child is retried on the other host and the retrain completes once", async () => {
    const t0 = Date.now();
    const c = sharedCtx();
    // Short locks on the training hosts so the survivor finds the killed host's child stalled within seconds;
    // the booster trains on a worker thread, so the survivor's own lock keeps renewing meanwhile.
    const hostEnv = { ...SLOW_ENV, MLQ_LOCK_DURATION_MS: "5000", MLQ_STALLED_INTERVAL_MS: "2000" };
    const hosts = [trainWorker(c, "host-a", hostEnv), trainWorker(c, "host-b", hostEnv)];
    await started(...hosts);
    const { jobId, worker } = await startRetrain(c, SLOW_ENV);
    await waitForState(c.retrain, jobId, "waiting-children", 90_000, worker);

    const { child, host: killed } = await childInTraining(c, hosts);
    const survivor = hosts.find((h) => h !== killed)!;
    killed.child.kill("SIGKILL");
    expect((await killed.exited).signal).toBe("SIGKILL");
    const killedAt = Date.now();
    // Killed mid-training: the child had not finished, its lock still names the dead host.
    expect(await state(c.train, child.id!)).toBe("active");

    const trials = await expectFlowDone(c, jobId, worker);
    const { model, candidate } = child.data as { model: string; candidate: number };
    // The killed child was trained again, on the survivor, and only that result counts.
    expect(trials.find((t) => t.model === model && t.candidate === candidate)?.host).toBe(hostId(survivor));
    expect(survivor.output()).toContain(child.id!);
    const retried = (await c.train.getJob(child.id!))!;
    expect(await retried.getState()).toBe("completed");
    expect(retried.stalledCounter).toBe(1);
    expect((retried.returnvalue as { host: string }).host).toBe(hostId(survivor));
    // The retrain ran two passes (before and after the wait) and completed once.
    expect(worker.output().match(/job completed/g)).toHaveLength(1);
    console.log(`[reliability] search flow, SIGKILL of a training host: done ${secs(killedAt)} after the kill, case ${secs(t0)}`);
  }, 180_000);

  it("the retrain worker SIGKILLed while its retrain waits: another retrain worker resumes it from the checkpoint and it completes once", async () => {
    const t0 = Date.now();
    const c = sharedCtx();
    const { jobId, worker: first } = await startRetrain(c);
    await waitForState(c.retrain, jobId, "waiting-children", 90_000, first);
    const [open] = runRows();
    expect(open).toMatchObject({ job_id: jobId, status: "running" });
    // Waiting for children, the parent holds no lock: the process that suspended it can die without a trace in Redis.
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");

    const host = trainWorker(c, "host-a");
    await started(host);
    // The children finish with no retrain worker attached: the parent is runnable, and stays so.
    await waitForState(c.retrain, jobId, "waiting", 90_000, host);
    expect(await c.train.getJobCountByTypes("completed")).toBe(10);

    const second = fx.spawnNode("worker-retrain-2", appEntry("worker-retrain"), [], c.env());
    const trials = await expectFlowDone(c, jobId, second);
    // The same run row (id and clock) carried on in the other process, which rebuilt the dataset instead of finding it in memory.
    expect(runRows().map((r) => r.id)).toEqual([open!.id]);
    expect(second.output()).toMatch(/retrain resumed from its checkpoint.*rebuilt from the candles closed by its clock/);
    expect(second.output().match(/job completed/g)).toHaveLength(1);
    expect(new Set(trials.map((t) => t.host))).toEqual(new Set(["host-a"]));
    const job = (await c.retrain.getJob(jobId))!;
    // One attempt: the kill happened between passes, so it cost the job nothing.
    expect(job.attemptsMade).toBe(1);
    console.log(`[reliability] search flow, retrain worker SIGKILLed while waiting: resumed elsewhere, case ${secs(t0)}`);
  }, 180_000);

  it.each([
    {
      fault: "corrupt in one chunk",
      childReason: /is corrupt: its bytes hash to/,
      reason: /search candidate \S+ failed: blob [0-9a-f]{12} under \S+ is corrupt/,
      inject: async (c: FlowCtx, sha: string) => {
        const chunk = `${fx.prefix}:blob:${sha}:0`;
        const bytes = (await c.redis.getBuffer(chunk))!;
        const flipped = Buffer.from(bytes);
        for (let i = 0; i < flipped.length; i += 97) flipped[i] = flipped[i]! ^ 0xff;
        // Same length, same TTL: only the hash check can tell.
        await c.redis.set(chunk, flipped, "KEEPTTL");
      },
    },
    {
      fault: "deleted (expired)",
      childReason: /is expired or deleted/,
      reason: /search candidate \S+ failed: blob [0-9a-f]{12} under \S+ is expired or deleted/,
      inject: async (c: FlowCtx) => {
        await c.redis.del(...(await blobKeys(c)));
      },
    },
  ])(
    "a blob $fault: the children fail, the retrain fails naming it, its run row closes failed, nothing is left",
    async ({ reason, childReason, inject }) => {
      const t0 = Date.now();
      const c = sharedCtx();
      const { jobId, worker } = await startRetrain(c);
      await waitForState(c.retrain, jobId, "waiting-children", 90_000, worker);
      const keys = await blobKeys(c);
      const meta = keys.find((k) => /:blob:[0-9a-f]{64}$/.test(k));
      expect(meta, keys.join(", ")).toBeDefined();
      const sha = meta!.split(":blob:")[1]!;
      expect(keys).toContain(`${meta}:0`);
      await inject(c, sha);
      expect(await c.train.getJobCountByTypes("waiting")).toBe(10);

      const host = trainWorker(c, "host-a");
      await started(host);
      await expectFlowFailed(c, jobId, reason, worker);
      // The children that ran failed on the data, without retries (a data fault is not transient). A child
      // the host had already picked up when the parent woke is stopped by the parent, and says so: it does
      // not read as an operator's cancel.
      const failed = await c.train.getJobs(["failed"]);
      expect(failed.filter((f) => childReason.test(f.failedReason)).length).toBeGreaterThanOrEqual(1);
      for (const f of failed) {
        if (!childReason.test(f.failedReason))
          expect(f.failedReason.startsWith(`stopped by its parent ${jobId}: search candidate`), f.failedReason).toBe(true);
        expect(f.attemptsMade).toBe(1);
      }
      console.log(`[reliability] search flow, blob fault: failed in ${secs(t0)}`);
    },
    120_000,
  );

  it.each([
    { children: "one running", hosts: 1 },
    { children: "all waiting", hosts: 0 },
  ])(
    "mlq cancel of a retrain waiting for its children ($children): running ones aborted, the run closes cancelled, nothing is left",
    async ({ hosts }) => {
      const t0 = Date.now();
      const c = sharedCtx();
      const hostEnv = { ...SLOW_ENV, MLQ_SEARCH_ROUNDS: "3000,4000" };
      const host = hosts > 0 ? trainWorker(c, "host-a", hostEnv) : undefined;
      if (host) await started(host);
      const { jobId, worker } = await startRetrain(c, hostEnv);
      await waitForState(c.retrain, jobId, "waiting-children", 90_000, worker);
      const running = host ? (await childInTraining(c, [host])).child : undefined;
      expect(await c.train.getJobCountByTypes("waiting")).toBe(running ? 9 : 10);

      const cancelledAt = Date.now();
      const res = await fx.cli(["cancel", jobId], c.env(hostEnv));
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/was waiting for its children/);

      await expectFlowFailed(c, jobId, /^cancelled by operator$/, worker);
      if (running) {
        // The running child was told to abort: it failed as cancelled, without a retry.
        const aborted = (await c.train.getJob(running.id!))!;
        expect(await aborted.getState()).toBe("failed");
        expect(aborted.failedReason).toBe("cancelled by operator");
        expect(aborted.attemptsMade).toBe(1);
        expect(host!.output()).toMatch(/job cancelled by operator/);
      }
      expect(await c.train.getJobCountByTypes("completed")).toBe(0);
      expect(await c.train.getJobCountByTypes("failed")).toBe(running ? 1 : 0);
      // The cancel mark is consumed by the pass that closed the run; the audit list keeps the cancel.
      expect(await c.redis.exists(`${fx.prefix}:mlq:flow-cancel:retrain:${jobId}`)).toBe(0);
      const audit = (await c.redis.lrange(`${fx.prefix}:mlq:cancellations`, 0, -1)).map(
        (r) => JSON.parse(r) as { jobId: string; outcome: string },
      );
      expect(audit.filter((r) => r.jobId === jobId).map((r) => r.outcome)).toEqual(["cancelled-waiting-children"]);
      console.log(`[reliability] search flow, cancel (${hosts} host): failed ${secs(cancelledAt)} after mlq cancel, case ${secs(t0)}`);
    },
    120_000,
  );

  it.for<{ during: string; childTraining: boolean }>([
    { during: "children wait", childTraining: false },
    { during: "a child trains", childTraining: true },
  ])(
    "Redis (AOF) killed and restarted while $during: the flow survives and the retrain completes once",
    { timeout: 180_000 },
    async ({ childTraining }, ctx) => {
      const t0 = Date.now();
      if (spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status !== 0) {
        ctx.skip("redis-server is not on PATH: cannot run a test-owned Redis to restart");
        return;
      }
      const port = await freePort();
      const redisDir = join(fx.dir, "redis");
      mkdirSync(redisDir);
      let server = startRedis(port, redisDir);
      afterFixture.push(() => server.kill("SIGKILL"));
      const c = ownCtx(`redis://127.0.0.1:${port}`);
      const redisUp = async (what: string): Promise<void> => {
        await waitFor(what, async () => ((await c.redis.ping().catch(() => "")) === "PONG" ? true : undefined), 20_000, 100);
      };
      await redisUp("the test's redis-server");

      // A child that trains across the outage needs a lock that outlasts it (5 s; the restart takes well under that).
      const slow = { ...SLOW_ENV, MLQ_SEARCH_ROUNDS: "100,150", MLQ_LOCK_DURATION_MS: "5000", MLQ_STALLED_INTERVAL_MS: "2000" };
      const early = childTraining ? trainWorker(c, "host-a", slow) : undefined;
      if (early) await started(early);
      const { jobId, worker } = await startRetrain(c, childTraining ? slow : {});
      await waitForState(c.retrain, jobId, "waiting-children", 90_000, worker);
      const training = early ? (await childInTraining(c, [early])).child : undefined;
      const blobsBefore = await blobKeys(c);
      const runIdBefore = /run_id:(\w+)/.exec(await c.redis.info("server"))?.[1];
      if (!training) expect(await c.train.getJobCountByTypes("waiting")).toBe(10);

      // kill -9: with appendfsync always, every acknowledged write is in the AOF.
      server.kill("SIGKILL");
      await new Promise((r) => server.once("exit", r));
      const downAt = Date.now();
      server = startRedis(port, redisDir);
      await redisUp("redis back");
      // Another server process (new run id), the same data: the parent, its children and its blob came back from the AOF.
      expect(/run_id:(\w+)/.exec(await c.redis.info("server"))?.[1]).not.toBe(runIdBefore);
      expect(await state(c.retrain, jobId)).toBe("waiting-children");
      expect(await blobKeys(c)).toEqual(blobsBefore);
      if (!training) expect(await c.train.getJobCountByTypes("waiting")).toBe(10);

      const host = early ?? trainWorker(c, "host-a");
      if (!early) await started(host);
      const trials = await expectFlowDone(c, jobId, worker);
      expect(new Set(trials.map((t) => t.host))).toEqual(new Set(["host-a"]));
      if (training) expect(await state(c.train, training.id!)).toBe("completed");
      // The retrain worker's connections came back on their own: it ran the resumed pass on the new server.
      expect(worker.output().match(/job completed/g)).toHaveLength(1);
      console.log(`[reliability] search flow, Redis kill -9 + restart: done ${secs(downAt)} after the kill, case ${secs(t0)}`);

      function startRedis(p: number, dir: string): ChildProcess {
        const args = [
          "--port",
          String(p),
          "--bind",
          "127.0.0.1",
          "--appendonly",
          "yes",
          "--appendfsync",
          "always",
          "--save",
          "",
          "--dir",
          dir,
        ];
        const proc = spawn("redis-server", args, { stdio: "ignore" });
        proc.on("error", () => undefined);
        return proc;
      }
    },
  );

  it("candidate data above the blob cap (¼ of Redis maxmemory): the retrain fails before adding children, naming both sizes", async (ctx) => {
    if (spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status !== 0) {
      ctx.skip("redis-server is not on PATH: cannot run a test-owned Redis with a small maxmemory");
      return;
    }
    const port = await freePort();
    const server = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory", "4mb"],
      {
        stdio: "ignore",
      },
    );
    server.on("error", () => undefined);
    afterFixture.push(() => server.kill("SIGKILL"));
    const c = ownCtx(`redis://127.0.0.1:${port}`);
    await waitFor(
      "the test's redis-server",
      async () => ((await c.redis.ping().catch(() => "")) === "PONG" ? true : undefined),
      20_000,
      100,
    );
    const host = trainWorker(c, "host-a");
    await started(host);
    const { jobId, worker } = await startRetrain(c);
    await expectFlowFailed(
      c,
      jobId,
      /the search's candidate data is [\d.]+ MiB, above the blob cap of 1\.0 MiB \(¼ of Redis maxmemory 4\.0 MiB\); lower MLQ_MAX_TRAINING_ROWS or raise Redis maxmemory/,
      worker,
    );
    expect(await c.train.getJobCountByTypes("completed", "failed", "waiting")).toBe(0);
  }, 120_000);

  it("a worker-train of another build refuses its child: the retrain fails naming both builds, its data is deleted", async () => {
    const t0 = Date.now();
    const c = sharedCtx();
    const host = trainWorker(c, "host-a", { MLQ_BUILD_ID: "other-build" });
    await started(host);
    const { jobId, worker } = await startRetrain(c);
    const build = mlBuildHash();
    const reason = new RegExp(
      `search candidate \\S+ failed: train job \\S+ was published by build ${build}; this worker-train runs build other-build`,
    );
    await expectFlowFailed(c, jobId, reason, worker);
    const failed = await c.train.getJobs(["failed"]);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const f of failed) expect(f.attemptsMade).toBe(1);
    console.log(`[reliability] search flow, build mismatch: failed in ${secs(t0)}`);
  }, 120_000);
});
