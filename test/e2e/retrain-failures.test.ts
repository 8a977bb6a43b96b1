// How the retrain worker process treats a failed gate (a result) and bad input (an immediate,
// unretried failure with a one-line message, still audited in the database when it can be).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openMigrated } from "@mlq/db";
import { JobFailedError } from "@mlq/jobs";
import { pointerPath, readPointer } from "@mlq/registry";
import { E2eFixture, demoDb, sqlRows, waitFor } from "./support.js";

interface RunRow {
  id: number;
  job_id: string;
  success: number;
  status: string;
  error_msg: string | null;
  models_trained: number | null;
}
const RUN_COLS = "id, job_id, success, status, error_msg, models_trained";

describe("retrain worker: gates and bad input", () => {
  let fx: E2eFixture;
  beforeEach(() => {
    fx = new E2eFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it("completes a scheduled retrain whose gates fail (20 closed trades) as outcome 'gates-failed', without creating a model", async () => {
    const demo = await demoDb(fx.dbPath, { trades: 20, openTrades: 0 });
    expect(demo.closedTrades).toBe(20);
    await fx.startWorkers(["worker-retrain"]);
    const producer = fx.producer();

    const { jobId } = await producer.enqueue("retrain", { trigger: "scheduled" });
    const summary = await producer.waitForJob("retrain", jobId, { timeoutMs: 60_000, pollMs: 100 });

    const job = await producer.getJob(jobId);
    expect(job).toMatchObject({ state: "completed", attemptsMade: 1, failedReason: null });
    expect(summary).toMatchObject({ outcome: "gates-failed", success: false, gatePass: false });
    const tradeGate = (summary.gates as { name: string; passed: boolean; value: number }[]).find((g) => g.name === "trade_count");
    expect(tradeGate).toMatchObject({ passed: false, value: 20 });

    const runs = sqlRows<RunRow>(fx.dbPath, `SELECT ${RUN_COLS} FROM phase2_retrain_runs`);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ job_id: jobId, success: 0, status: "done", models_trained: 0 });
    expect(runs[0]!.error_msg).toMatch(/^gates not passed: .*trade_count/);
    expect(sqlRows(fx.dbPath, "SELECT 1 FROM phase2_gate_log WHERE run_id = ?", runs[0]!.id)).toHaveLength(3);
    expect(readPointer(fx.modelsDir, "v2_paper")).toBeNull();
    expect(readPointer(fx.modelsDir, "v1_backtest")).toBeNull();
    expect(existsSync(join(fx.modelsDir, String(runs[0]!.id)))).toBe(false);
  });

  it("fails a malformed payload added behind the producer's back at once (UnrecoverableError, one attempt of three) naming the bad field", async () => {
    await fx.startWorkers(["worker-retrain"]);
    const queue = fx.queue("retrain");
    await queue.add("retrain", { trigger: "sometimes" }, { jobId: "bad-payload", attempts: 3, backoff: { type: "fixed", delay: 100 } });

    const job = await waitFor("bad-payload to fail", async () => {
      const j = await queue.getJob("bad-payload");
      return j && (await j.getState()) === "failed" ? await queue.getJob("bad-payload") : undefined;
    });
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toMatch(/^invalid retrain payload: trigger: .*expected one of "scheduled"\|"force"\|"smoke"\|"dry-run"\|"drift"$/);
    expect(job?.failedReason).not.toContain("\n");
    // BullMQ records an UnrecoverableError by not retrying: nothing is left delayed or waiting.
    expect(await queue.getJobCounts("waiting", "delayed", "active")).toEqual({ waiting: 0, delayed: 0, active: 0 });
  });

  it("fails a retrain whose configured database does not exist with one line 'database not found: <path>' and no retry", async () => {
    const missing = join(fx.dir, "no-such.db");
    await fx.startWorkers(["worker-retrain"], { MLQ_DB_PATH: missing });
    const producer = fx.producer();
    const { jobId } = await producer.enqueue("retrain", { trigger: "force" });

    const err = await producer.waitForJob("retrain", jobId, { timeoutMs: 60_000, pollMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    expect((err as Error).message).toBe(`database not found: ${missing}`);
    const job = await producer.getJob(jobId);
    expect(job).toMatchObject({ state: "failed", attemptsMade: 1 });
    expect(existsSync(missing)).toBe(false); // the worker must not create the bot's database
  });

  it("fails a retrain on a database without a ticks table ('ticks table missing in <path>') and records the run with success=0", async () => {
    const db = join(fx.dir, "no-ticks.db");
    // Migrated first (so migrations do not re-create it), then the bot's ticks table is gone.
    const conn = openMigrated(db, { create: true });
    conn.sqlite.exec("DROP TABLE ticks");
    conn.close();
    await fx.startWorkers(["worker-retrain"], { MLQ_DB_PATH: db });
    const producer = fx.producer();
    const { jobId } = await producer.enqueue("retrain", { trigger: "force" });

    const err = await producer.waitForJob("retrain", jobId, { timeoutMs: 60_000, pollMs: 100 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`ticks table missing in ${db}`);
    expect(await producer.getJob(jobId)).toMatchObject({ state: "failed", attemptsMade: 1 });

    const runs = sqlRows<RunRow>(db, `SELECT ${RUN_COLS} FROM phase2_retrain_runs`);
    expect(runs).toEqual([{ id: expect.any(Number), job_id: jobId, success: 0, status: "failed", error_msg: `ticks table missing in ${db}`, models_trained: null }]);
    expect(existsSync(pointerPath(fx.modelsDir, "v2_paper"))).toBe(false);
  });
});
