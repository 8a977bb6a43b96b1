// The monitor queue end to end: the built worker-monitor app as a child process, a job enqueued by
// the producer library and by `mlq monitor`, the rollback checked in the SQLite file, the models
// directory and the job's Redis record.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DAY_MS, silentLogger } from "@mlq/core";
import { openMigrated, writeTx } from "@mlq/db";
import {
  currentRoles,
  fillSlotWithAlpha,
  readActiveModel,
  recordChampionChange,
  registerVersion,
  saveModelSet,
  syncRoleFiles,
} from "@mlq/registry";
import { E2eFixture, sqlRows, STAND_IN_MANIFEST, standInModels } from "./support.js";

const HOUR_MS = 3_600_000;
const models = standInModels;
const manifest = STAND_IN_MANIFEST;

describe("the monitor queue", () => {
  let fx: E2eFixture;
  beforeEach(() => {
    fx = new E2eFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  /** Champion 2 (promoted 10 days ago over 1); since then 30 trades ±1 % and 40 losses of −2 %. */
  function decayingChampion(): void {
    for (const v of [1, 2]) saveModelSet(fx.modelsDir, v, { models: models(v), manifest });
    const conn = openMigrated(fx.dbPath, { create: true });
    try {
      const promotedAt = Date.now() - 10 * DAY_MS;
      registerVersion(conn, fx.modelsDir, { version: "1", runId: 1, trigger: "scheduled", nowMs: promotedAt - 2 * DAY_MS });
      registerVersion(conn, fx.modelsDir, { version: "2", runId: 2, trigger: "scheduled", nowMs: promotedAt - DAY_MS });
      fillSlotWithAlpha(conn, { nowMs: promotedAt - DAY_MS, policy: { alpha: 0.05, budget: 0.25 } });
      writeTx(conn, () =>
        recordChampionChange(conn, fx.modelsDir, {
          tsMs: promotedAt,
          event: "promote",
          version: "2",
          role: "champion",
          previousVersion: "1",
          trigger: "ab-eval",
          reason: "e2e",
        }),
      );
      syncRoleFiles(conn, fx.modelsDir, silentLogger);
      const insert = conn.sqlite.prepare(
        "INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct) VALUES ('BTC-USDT', 'long', 'closed', ?, ?, ?)",
      );
      const returns = [...Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 1 : -1)), ...Array.from({ length: 40 }, () => -2)];
      returns.forEach((r, i) => insert.run(promotedAt + (i + 1) * HOUR_MS, promotedAt + (i + 1) * HOUR_MS + 60_000, r));
    } finally {
      conn.close();
    }
  }

  it("rolls a decaying champion back through worker-monitor and returns the summary; the next run (mlq monitor) does nothing", async () => {
    decayingChampion();
    await fx.startWorkers(["worker-monitor"]);
    const producer = fx.producer();

    const { jobId } = await producer.enqueue("monitor", {}, { requestedBy: "e2e" });
    const summary = (await producer.waitForJob("monitor", jobId, { timeoutMs: 60_000, pollMs: 100 })) as unknown as Record<string, unknown>;
    const runs = sqlRows<{ id: number; job_id: string; action: string; outcome: string }>(
      fx.dbPath,
      "SELECT id, job_id, action, outcome FROM ab_test_runs",
    );
    expect(runs).toEqual([{ id: expect.any(Number), job_id: jobId, action: "rollback", outcome: "rolled-back" }]);
    expect(summary).toMatchObject({
      jobId,
      champion: "2",
      previousChampion: "1",
      trades: 70,
      alarm: true,
      alarmTrade: { index: 55 },
      action: "rolled-back",
      rollbackRunId: runs[0]!.id,
      championAfter: "1",
    });
    const events = sqlRows<{ event: string; version: string; trigger: string; run_id: number }>(
      fx.dbPath,
      "SELECT event, version, trigger, run_id FROM model_role_events ORDER BY id DESC LIMIT 1",
    );
    expect(events).toEqual([{ event: "rollback", version: "1", trigger: "monitor", run_id: runs[0]!.id }]);
    expect(readActiveModel(fx.modelsDir)?.version).toBe("1");
    const job = await producer.queues.monitor.getJob(jobId);
    expect(job?.progress).toMatchObject({ stage: "done", pct: 100 });
    expect(job?.attemptsMade).toBe(1);

    // The restored champion has no trades of its own yet: the next run writes nothing.
    const counts = () =>
      sqlRows(fx.dbPath, "SELECT (SELECT count(*) FROM ab_test_runs) AS runs, (SELECT count(*) FROM model_role_events) AS events");
    const before = counts();
    const cli = await fx.cli(["monitor", "--json"]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({
      champion: "1",
      previousChampion: null,
      trades: 0,
      alarm: false,
      action: "none",
      rollbackRunId: null,
    });
    expect(counts()).toEqual(before);
    const conn = openMigrated(fx.dbPath);
    try {
      expect(currentRoles(conn).barred).toEqual(["2"]);
    } finally {
      conn.close();
    }
  });

  it("mlq monitor --local prints the detector's numbers and the action", async () => {
    decayingChampion();
    const r = await fx.cli(["monitor", "--local"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^champion\s+2 since /m);
    expect(r.stdout).toMatch(/^CUSUM statistic\s+65\.77 \(peak 65\.77\) vs threshold 42\.45 σ$/m);
    expect(r.stdout).toMatch(/^action\s+rolled-back \(A\/B run #1\)$/m);
    expect(r.stdout).toContain("rolled back from 2 to 1");
    expect(r.stderr).toContain("monitor: decaying champion rolled back");
  });
});
