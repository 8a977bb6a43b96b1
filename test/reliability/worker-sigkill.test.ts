// Scenario 1: a retrain worker is SIGKILLed in the middle of training. Promise: the job is
// not lost (the second worker takes it over after the stall interval and completes it), it
// succeeds exactly once, the killed attempt's audit row is closed as failed, and no reader
// ever sees a pointer naming an incomplete or corrupt version.
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "@mlq/config";
import { silentLogger } from "@mlq/core";
import { createProducer, type Producer } from "@mlq/jobs";
import { listVersions, readPointer, verifyVersion } from "@mlq/registry";
import { CHILDREN_DIR, Fixture, REDIS_URL, appEntry, makeDemoDb, sleep, waitFor, type Spawned } from "./support.js";

let fx: Fixture;
let producer: Producer | undefined;

beforeEach(() => {
  fx = new Fixture();
});
afterEach(async () => {
  await producer?.stop();
  producer = undefined;
  await fx.cleanup();
});

interface RunRow {
  id: number;
  job_id: string | null;
  success: number;
  status: string;
  error_msg: string | null;
  model_dir: string | null;
}

describe("SIGKILL of a retrain worker during training", () => {
  it("another worker takes the job over and completes it once; pointers stay valid throughout", async () => {
    // Lock 5 s, not 2 s: the retrain's candle/feature stages run synchronously on the worker's
    // event loop, and on this loaded machine a 2 s lock expired during them, so the taking-over
    // attempt stalled too and BullMQ failed the job ("job stalled more than allowable limit").
    const env = fx.mlqEnv({ MLQ_XGB_ROUNDS: "80", MLQ_LOCK_DURATION_MS: "5000", MLQ_STALLED_INTERVAL_MS: "2000" });
    const modelsDir = env.MLQ_MODELS_DIR!;
    await makeDemoDb(env.MLQ_DB_PATH!);

    const reader = fx.spawnNode("reader", join(CHILDREN_DIR, "pointer-reader.mjs"), [modelsDir], {});
    const workers: Spawned[] = [
      fx.spawnNode("worker-a", appEntry("worker-retrain"), [], env),
      fx.spawnNode("worker-b", appEntry("worker-retrain"), [], env),
    ];
    await waitFor("both workers and the reader to start", () =>
      workers.every((w) => w.output().includes("worker for queue retrain started")) && reader.output().includes("READY") ? true : undefined,
    );

    producer = createProducer({ redisUrl: REDIS_URL, prefix: fx.prefix, config: loadConfig(env), logger: silentLogger });
    const { jobId } = await producer.enqueue("retrain", { trigger: "force" });

    await waitFor("the job to reach the train stage", async () => {
      const job = await producer!.getJob(jobId);
      return (job?.progress as { stage?: string } | undefined)?.stage === "train" ? true : undefined;
    });
    const holder = workers.find((w) => w.output().includes(jobId));
    expect(holder, "one worker logged the job").toBeDefined();
    const survivor = workers.find((w) => w !== holder)!;
    holder!.child.kill("SIGKILL");
    const killedAt = Date.now();
    expect((await holder!.exited).signal).toBe("SIGKILL");

    const takeoverAt = await waitFor("the other worker to take the job over", () => (survivor.output().includes(jobId) ? Date.now() : undefined), 60_000, 50);
    const summary = await producer.waitForJob("retrain", jobId, { timeoutMs: 90_000 }).catch((err: unknown) => {
      throw new Error(`${String(err)}\n--- survivor output ---\n${survivor.output().slice(-6000)}`);
    });
    const completedAt = Date.now();
    expect(summary.outcome).toBe("trained");

    // Keep the reader running across the whole promotion, then collect its verdict.
    await sleep(200);
    reader.child.kill("SIGTERM");
    await reader.exited;
    const verdict = JSON.parse(/SUMMARY (.*)/.exec(reader.output())?.[1] ?? "null") as { checks: number; seen: string[]; violations: string[] } | null;
    expect(verdict, reader.output()).not.toBeNull();
    expect(verdict!.violations).toEqual([]);
    expect(verdict!.checks).toBeGreaterThan(10);
    expect(verdict!.seen).toContain(`v1_backtest=${String(summary.version)}`); // the first set: champion and baseline

    const db = new Database(env.MLQ_DB_PATH!, { readonly: true });
    const rows = db.prepare("SELECT id, job_id, success, status, error_msg, model_dir FROM phase2_retrain_runs ORDER BY id").all() as RunRow[];
    db.close();
    // One row per attempt: the killed one closed as failed by the takeover, the second a success.
    expect(rows.filter((r) => r.job_id === jobId)).toHaveLength(2);
    expect(rows.filter((r) => r.success === 1)).toHaveLength(1);
    expect(rows.filter((r) => r.status === "running")).toEqual([]);
    const [killed, done] = rows;
    expect(killed).toMatchObject({ success: 0, status: "failed", model_dir: null });
    expect(killed!.error_msg).toMatch(/interrupted/);
    expect(done).toMatchObject({ success: 1, status: "done" });
    expect(summary.runId).toBe(done!.id);

    // The killed attempt never published anything: only the winner's version exists, and every pointer names it.
    expect(listVersions(modelsDir).map((v) => v.version)).toEqual([String(done!.id)]);
    expect(readPointer(modelsDir, "v2_paper")).toBeNull(); // nothing under evaluation yet
    for (const name of ["v1_backtest"] as const) {
      const p = readPointer(modelsDir, name);
      expect(p?.version).toBe(String(done!.id));
      verifyVersion(modelsDir, p!.version, p!.manifestSha256);
    }
    const job = await producer.getJob(jobId);
    expect(job?.state).toBe("completed");

    console.log(
      `[reliability] sigkill: takeover ${((takeoverAt - killedAt) / 1000).toFixed(1)} s after the kill, ` +
        `completed ${((completedAt - killedAt) / 1000).toFixed(1)} s after the kill; reader made ${verdict!.checks} checks, 0 violations`,
    );
  });
});
