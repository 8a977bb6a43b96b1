import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "@mlq/config";
import { DAY_MS, silentLogger } from "@mlq/core";
import { openMigrated, writeTx } from "@mlq/db";
import { fillSlotWithAlpha, readActiveModel, recordChampionChange, registerVersion, saveModelSet, syncRoleFiles } from "@mlq/registry";
import { monitorPolicyFromConfig, runMonitorTask } from "./monitor-task.js";
import { dbRows, recordingIo, taskFixture, type TaskFixture } from "./fixture.test-util.js";

let fx: TaskFixture;
beforeEach(async () => {
  fx = await taskFixture();
});
afterEach(() => fx.cleanup());

const T0 = Date.UTC(2025, 0, 1);
const model = (seed: number) => ({
  models: [{ name: "direction", bytes: Uint8Array.from({ length: 40 }, (_, i) => (seed * 7 + i) & 0xff) }],
  manifest: { featureNames: ["ret_1"], params: {}, dataWindow: {}, metrics: {} },
});

/** Champion 2 (promoted at T0 + 2 d over 1), then 70 trades: 30 alternating ±1 and 40 losses of −2. */
function decayingChampion(): void {
  const conn = openMigrated(fx.config.dbPath);
  try {
    conn.sqlite.exec("DELETE FROM paper_trades");
    for (const v of [1, 2]) saveModelSet(fx.config.modelsDir, v, model(v));
    registerVersion(conn, fx.config.modelsDir, { version: "1", runId: null, trigger: "scheduled", nowMs: T0 });
    registerVersion(conn, fx.config.modelsDir, { version: "2", runId: null, trigger: "scheduled", nowMs: T0 + DAY_MS });
    fillSlotWithAlpha(conn, { nowMs: T0 + DAY_MS, policy: { alpha: 0.05, budget: 0.25 } });
    const promotedAt = T0 + 2 * DAY_MS;
    writeTx(conn, () =>
      recordChampionChange(conn, fx.config.modelsDir, {
        tsMs: promotedAt,
        event: "promote",
        version: "2",
        role: "champion",
        previousVersion: "1",
        trigger: "ab-eval",
        reason: "test",
      }),
    );
    syncRoleFiles(conn, fx.config.modelsDir, silentLogger);
    const returns = [...Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 1 : -1)), ...Array.from({ length: 40 }, () => -2)];
    const insert = conn.sqlite.prepare(
      "INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct) VALUES ('BTC-USDT', 'long', 'closed', ?, ?, ?)",
    );
    returns.forEach((r, i) => insert.run(promotedAt + (i + 1) * 3_600_000, promotedAt + (i + 1) * 3_600_000 + 60_000, r));
  } finally {
    conn.close();
  }
}

describe("runMonitorTask", () => {
  it("takes the detector's settings and the rollback's A/B policy from the config", () => {
    const config = loadConfig({
      MLQ_ROLLBACK: "false",
      MLQ_ROLLBACK_REFERENCE_SR: "0.08",
      MLQ_ROLLBACK_DECAY_SR: "-0.2",
      MLQ_ROLLBACK_TRADES_PER_DAY: "40",
      MLQ_ROLLBACK_MAX_FALSE_ALARMS_PER_YEAR: "0.25",
      MLQ_AB_ALPHA: "0.04",
    });
    expect(monitorPolicyFromConfig(config)).toMatchObject({
      referenceSharpe: 0.08,
      decaySharpe: -0.2,
      tradesPerDay: 40,
      maxFalseAlarmsPerYear: 0.25,
      rollback: false,
      ab: { alpha: 0.04 },
    });
  });

  it("watches the configured database and reports nothing to watch before any model exists, writing nothing", async () => {
    const before = dbRows(fx, "SELECT (SELECT count(*) FROM ab_test_runs) AS runs, (SELECT count(*) FROM model_role_events) AS events");
    const io = recordingIo();
    const s = await runMonitorTask(fx.config, {}, io);
    expect(s).toMatchObject({ champion: null, action: "none", jobId: "job-7" });
    expect(dbRows(fx, "SELECT (SELECT count(*) FROM ab_test_runs) AS runs, (SELECT count(*) FROM model_role_events) AS events")).toEqual(
      before,
    );
    // The decay step's stages, then the drift step's (no champion: nothing scored, one check row).
    expect(io.stages).toEqual(["roles", "done", "drift", "done"]);
    expect(s.drift).toMatchObject({ status: "no champion", action: "none", triggered: false });
    expect(dbRows(fx, "SELECT status, action, job_id FROM drift_checks")).toEqual([
      { status: "no champion", action: "none", job_id: "job-7" },
    ]);
  });

  it("rolls a decaying champion back under the job id, with the configured models directory", async () => {
    decayingChampion();
    const io = recordingIo();
    const s = await runMonitorTask(fx.config, {}, io);
    expect(s).toMatchObject({ champion: "2", action: "rolled-back", championAfter: "1", trades: 70 });
    expect(dbRows(fx, "SELECT id, job_id, action, outcome FROM ab_test_runs")).toEqual([
      { id: s.rollbackRunId, job_id: "job-7", action: "rollback", outcome: "rolled-back" },
    ]);
    expect(dbRows(fx, "SELECT event, version, trigger FROM model_role_events ORDER BY id DESC LIMIT 1")).toEqual([
      { event: "rollback", version: "1", trigger: "monitor" },
    ]);
    expect(readActiveModel(fx.config.modelsDir)?.version).toBe("1");
    expect(io.lines.some((l) => l.level === "warn" && l.msg === "monitor: decaying champion rolled back")).toBe(true);
    expect(io.stages).toEqual([
      "roles",
      "trades",
      "detect",
      "rollback",
      "rollback: reconcile",
      "rollback: evaluate",
      "rollback: decide",
      "rollback: record",
      "rollback: done",
      "done",
      "drift",
      "drift",
      "drift",
      "done",
    ]);
    // The restored champion's manifest predates drift baselines: "no baseline", not an error.
    expect(s.drift).toMatchObject({ status: "no baseline", action: "none", champion: { version: "1", status: "no baseline" } });
  });
});
