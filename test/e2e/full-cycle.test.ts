// The daily cycle through real queues: the three built worker apps as child processes, jobs
// enqueued by the producer library, results checked in the SQLite file, the model registry,
// the calibration JSON and the jobs' Redis records.
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CalibrationFileSchema } from "@mlq/calibration";
import { loadModelSet, readPointer } from "@mlq/registry";
import { E2eFixture, demoDb, sqlRows } from "./support.js";

describe("full cycle through real queues", () => {
  let fx: E2eFixture;
  beforeEach(() => {
    fx = new E2eFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it("calibrate -> forced retrain -> ab-eval, each run by its worker process, leaves every output and audit row", async () => {
    await demoDb(fx.dbPath);
    await fx.startWorkers(["worker-calibrate", "worker-retrain", "worker-ab"]);
    const producer = fx.producer();
    const wait = { timeoutMs: 90_000, pollMs: 100 };

    // calibrate
    const cal = await producer.enqueue("calibrate", {}, { requestedBy: "e2e" });
    expect(cal.deduplicated).toBe(false);
    const calSummary = await producer.waitForJob("calibrate", cal.jobId, wait);
    const calFile = CalibrationFileSchema.parse(JSON.parse(readFileSync(fx.calibrationPath, "utf8")));
    expect(calFile.avg_slippage_per_side_pct).toBe(calFile.ema_slippage_per_side_pct);
    expect(calFile.trades_analyzed).toBeGreaterThan(300);
    expect(calSummary).toMatchObject({ outPath: fx.calibrationPath, tradesAnalyzed: calFile.trades_analyzed });
    const calRows = sqlRows<{ job_id: string; trades_analyzed: number }>(fx.dbPath, "SELECT job_id, trades_analyzed FROM calibration_runs");
    expect(calRows).toEqual([{ job_id: cal.jobId, trades_analyzed: calFile.trades_analyzed }]);

    // forced retrain
    const rt = await producer.enqueue("retrain", { trigger: "force" }, { requestedBy: "e2e" });
    const rtSummary = await producer.waitForJob("retrain", rt.jobId, wait);
    const runs = sqlRows<{ id: number; job_id: string; trigger_reason: string; success: number; models_trained: number; status: string }>(
      fx.dbPath,
      "SELECT id, job_id, trigger_reason, success, models_trained, status FROM phase2_retrain_runs",
    );
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run).toMatchObject({ job_id: rt.jobId, trigger_reason: "force", success: 1, models_trained: 5, status: "done" });
    expect(rtSummary).toMatchObject({ runId: run.id, outcome: "trained", success: true, trigger: "force" });
    const gateLog = sqlRows<{ gate_name: string }>(fx.dbPath, "SELECT gate_name FROM phase2_gate_log WHERE run_id = ? ORDER BY gate_name", run.id);
    expect(gateLog.map((g) => g.gate_name)).toEqual(["paper_age", "regime_diversity", "trade_count"]);

    // The first trained set is champion (active_model.json) and the v1_backtest baseline; nothing is under evaluation.
    expect(rtSummary).toMatchObject({ registered: { role: "champion" } });
    expect(readPointer(fx.modelsDir, "v2_paper")).toBeNull();
    const v1 = readPointer(fx.modelsDir, "v1_backtest");
    expect(v1?.version).toBe(String(run.id));
    const loaded = loadModelSet(fx.modelsDir, v1!);
    expect(loaded.models.map((m) => m.name).sort()).toEqual(["direction", "momentum", "price", "risk", "volatility"]);
    expect(JSON.parse(readFileSync(`${fx.modelsDir}/active_model.json`, "utf8"))).toMatchObject({ version: String(run.id), manifest_sha256: v1!.manifestSha256 });

    const rtJob = await producer.queues.retrain.getJob(rt.jobId);
    expect(rtJob?.progress).toMatchObject({ stage: "done", pct: 100 });
    expect(rtJob?.attemptsMade).toBe(1);

    // A/B evaluation
    const ab = await producer.enqueue("ab-eval", { action: "evaluate" }, { requestedBy: "e2e" });
    const abSummary = await producer.waitForJob("ab-eval", ab.jobId, wait);
    const abRows = sqlRows<{ id: number; job_id: string; arm_a_version: string | null; arm_b_version: string | null; outcome: string; dry_run: number }>(
      fx.dbPath,
      "SELECT id, job_id, arm_a_version, arm_b_version, outcome, dry_run FROM ab_test_runs",
    );
    // With a champion and no challenger there is nothing to decide: the run says so and changes nothing.
    expect(abRows).toEqual([{ id: expect.any(Number), job_id: ab.jobId, arm_a_version: String(run.id), arm_b_version: null, outcome: "idle", dry_run: 0 }]);
    expect(abSummary).toMatchObject({ runId: abRows[0]!.id, action: "evaluate", dryRun: false, outcome: "idle", champion: String(run.id), challenger: null, swapExecuted: false });

    // Each job's Redis record: the summary as return value, log lines, one attempt.
    for (const [queue, id, summary] of [
      ["calibrate", cal.jobId, calSummary],
      ["retrain", rt.jobId, rtSummary],
      ["ab-eval", ab.jobId, abSummary],
    ] as const) {
      const q = producer.queues[queue];
      const job = await q.getJob(id);
      expect(job?.returnvalue, queue).toEqual(summary);
      expect(job?.attemptsMade, queue).toBe(1);
      const { logs, count } = await q.getJobLogs(id);
      expect(count, queue).toBeGreaterThanOrEqual(2);
      expect(logs.some((l) => l.includes("job started")), queue).toBe(true);
      expect(logs.some((l) => l.includes("job completed")), queue).toBe(true);
    }
  });
});
