// Scenario 2: Redis (AOF on) is shut down and restarted while a retrain is active and jobs
// wait. Promise: workers reconnect on their own; waiting jobs and the four schedulers survive
// (restored from the AOF, not re-created by the producer); every job completes exactly once.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "@mlq/config";
import { silentLogger } from "@mlq/core";
import { createProducer, type Producer } from "@mlq/jobs";
import { Fixture, appEntry, freePort, makeDemoDb, sleep, waitFor, type Spawned } from "./support.js";

let fx: Fixture;
let producer: Producer | undefined;
let redisUrl = "";

beforeEach(() => {
  fx = new Fixture();
});
afterEach(async () => {
  await producer?.stop();
  producer = undefined;
  await fx.cleanup(redisUrl);
});

function redisCli(port: number, ...args: string[]): string {
  return execFileSync("redis-cli", ["-p", String(port), ...args], { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "pipe"] }).trim();
}

function startRedis(port: number, dir: string): Spawned {
  return fx.spawnCommand(`redis-${port}`, "redis-server", [
    "--port", String(port), "--bind", "127.0.0.1", "--appendonly", "yes", "--appendfsync", "always",
    "--save", "", "--dir", dir, "--maxmemory-policy", "noeviction",
  ]);
}

async function waitRedisUp(port: number): Promise<void> {
  await waitFor(`redis on port ${port}`, () => {
    try {
      return redisCli(port, "ping") === "PONG" ? true : undefined;
    } catch {
      return undefined;
    }
  }, 20_000);
}

describe("Redis restart with AOF", () => {
  it("keeps waiting jobs and schedulers; workers reconnect; every job completes exactly once", async () => {
    const port = await freePort();
    redisUrl = `redis://127.0.0.1:${port}`;
    const redisDir = join(fx.dir, "redis");
    mkdirSync(redisDir);
    let redis = startRedis(port, redisDir);
    // Cleanup must shut the test's own server down even when the test fails half-way.
    fx.onCleanup(() => redis.child.kill("SIGKILL"));
    await waitRedisUp(port);

    // A lock longer than the outage: the active job must survive it without being re-run.
    const env = fx.mlqEnv({ REDIS_URL: redisUrl, MLQ_XGB_ROUNDS: "60", MLQ_LOCK_DURATION_MS: "15000", MLQ_STALLED_INTERVAL_MS: "5000" });
    await makeDemoDb(env.MLQ_DB_PATH!);

    const producerProc = fx.spawnNode("producer", appEntry("producer"), [], env);
    await waitFor("the producer to register its schedulers", () => (producerProc.output().includes("producer started") ? true : undefined));
    producerProc.child.kill("SIGTERM");
    await producerProc.exited;

    const retrainWorker = fx.spawnNode("worker-retrain", appEntry("worker-retrain"), [], env);
    await waitFor("the retrain worker", () => (retrainWorker.output().includes("worker for queue retrain started") ? true : undefined));
    producer = createProducer({ redisUrl, prefix: fx.prefix, config: loadConfig(env), logger: silentLogger });
    const schedulesBefore = await producer.schedules();
    expect(schedulesBefore.filter((s) => s.registered)).toHaveLength(4);

    const retrain = await producer.enqueue("retrain", { trigger: "force" });
    const calibrateIds: string[] = [];
    for (let i = 0; i < 3; i++) calibrateIds.push((await producer.enqueue("calibrate", {})).jobId);
    const abEval = await producer.enqueue("ab-eval", { action: "dry-run" });
    await waitFor("the retrain to be training", async () => {
      const job = await producer!.getJob(retrain.jobId);
      return (job?.progress as { stage?: string } | undefined)?.stage === "train" ? true : undefined;
    });
    expect((await producer.listJobs({ state: "waiting" })).map((j) => j.id).sort()).toEqual([...calibrateIds, abEval.jobId].sort());

    // The producer's connection would ride out the outage too, but close it so only restored state counts.
    await producer.stop();
    producer = undefined;
    const downAt = Date.now();
    redisCli(port, "shutdown");
    await redis.exited;
    await sleep(1000);
    redis = startRedis(port, redisDir);
    await waitRedisUp(port);
    const upAt = Date.now();

    producer = createProducer({ redisUrl, prefix: fx.prefix, config: loadConfig(env), logger: silentLogger });
    const schedulesAfter = await producer.schedules();
    expect(schedulesAfter.map((s) => [s.id, s.registered, s.next])).toEqual(schedulesBefore.map((s) => [s.id, s.registered, s.next]));
    expect((await producer.listJobs({ state: "waiting" })).map((j) => j.id).sort()).toEqual([...calibrateIds, abEval.jobId].sort());

    // The workers for the waiting jobs start only now, on the restarted server.
    fx.spawnNode("worker-calibrate", appEntry("worker-calibrate"), [], env);
    const retrainSummary = await producer.waitForJob("retrain", retrain.jobId, { timeoutMs: 90_000 });
    expect(retrainSummary.outcome).toBe("trained");
    // A/B reads the model pointers the retrain has just written.
    fx.spawnNode("worker-ab", appEntry("worker-ab"), [], env);
    for (const id of calibrateIds) await producer.waitForJob("calibrate", id, { timeoutMs: 60_000 });
    await producer.waitForJob("ab-eval", abEval.jobId, { timeoutMs: 60_000 });
    const reconnectedAt = Date.now();

    // Scheduler iterations (`repeat:*`, delayed until their cron time) are not ours to count.
    const jobs = (await producer.listJobs({ limit: 100 })).filter((j) => !j.id.startsWith("repeat:"));
    expect(jobs).toHaveLength(5);
    expect(jobs.filter((j) => j.state !== "completed")).toEqual([]);
    for (const j of jobs) expect(j.attemptsMade, j.id).toBe(1);

    const db = new Database(env.MLQ_DB_PATH!, { readonly: true });
    const retrainRows = db.prepare("SELECT job_id, success, status FROM phase2_retrain_runs").all();
    const calibrationJobIds = (db.prepare("SELECT job_id FROM calibration_runs ORDER BY id").all() as { job_id: string }[]).map((r) => r.job_id);
    const abRows = db.prepare("SELECT job_id FROM ab_test_runs").all();
    db.close();
    expect(retrainRows).toEqual([{ job_id: retrain.jobId, success: 1, status: "done" }]);
    expect(calibrationJobIds.sort()).toEqual([...calibrateIds].sort());
    expect(abRows).toEqual([{ job_id: abEval.jobId }]);

    expect(retrainWorker.output()).toMatch(/redis connection (error|restored)/);
    console.log(
      `[reliability] redis restart: down ${((upAt - downAt) / 1000).toFixed(1)} s; all ${jobs.length} jobs completed once, ` +
        `${((reconnectedAt - upAt) / 1000).toFixed(1)} s after Redis came back; schedulers unchanged (${schedulesAfter.map((s) => s.next).join(", ")})`,
    );
  });
});
