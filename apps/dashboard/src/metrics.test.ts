import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import type { Queue } from "bullmq";
import { silentLogger } from "@mlq/core";
import { createFixture, type Fixture } from "./fixtures.test-util.js";
import { openDatabase } from "@mlq/db";
import { insertShadowRun } from "@mlq/ab";
import { startWorkerHeartbeat } from "@mlq/jobs";
import { createMetrics, newDurations } from "./metrics.js";
import { createPromotionFixture, NOW } from "./promotion-fixture.test-util.js";
import { readStatus } from "./status-data.js";

let fixture: Fixture | undefined;
afterEach(() => fixture?.cleanup());

describe("newDurations", () => {
  it("observes each finished job once, again after a retry, and skips unfinished ones", () => {
    const seen = new Set<string>();
    const jobs = [
      { id: "1", processedOn: 1000, finishedOn: 3500, failed: false },
      { id: "2", processedOn: 1000, finishedOn: undefined, failed: false },
      { id: "3", processedOn: 5000, finishedOn: 4000, failed: true },
    ];
    expect(newDurations(jobs, seen)).toEqual([
      { seconds: 2.5, failed: false },
      { seconds: 0, failed: true },
    ]);
    expect(newDurations(jobs, seen)).toEqual([]);
    expect(newDurations([{ id: "1", processedOn: 9000, finishedOn: 10_000, failed: false }], seen)).toEqual([{ seconds: 1, failed: false }]);
  });

  it("stays bounded", () => {
    const seen = new Set<string>();
    newDurations(Array.from({ length: 50 }, (_, i) => ({ id: String(i), processedOn: 0, finishedOn: 1, failed: false })), seen, 10);
    expect(seen.size).toBe(10);
  });
});

describe("createMetrics", () => {
  // A stand-in with the two Queue methods the scrape uses (real Redis is covered in dashboard.test.ts).
  const fakeQueue = (name: string) =>
    ({
      name,
      getJobCounts: () => Promise.resolve({ waiting: 2, active: 1, failed: 3 }),
      getJobs: (types: string[]) => Promise.resolve(types[0] === "completed" ? [{ id: "7", processedOn: 0, finishedOn: 4000 }] : []),
    }) as unknown as Queue;

  it("exposes job counts, durations, gates, active arm, calibration and Redis state", async () => {
    fixture = createFixture({ tradesPerArm: 1 });
    const f = fixture;
    let status = "ready";
    const m = createMetrics({ queues: [fakeQueue("retrain")], redisStatus: () => status, readStatus: () => readStatus({ dbPath: f.dbPath, modelsDir: f.modelsDir, tradeLimit: 0 }), logger: silentLogger });
    const text = await m.scrape();
    expect(text).toContain('mlq_queue_jobs{queue="retrain",state="waiting"} 2');
    expect(text).toContain('mlq_queue_jobs{queue="retrain",state="delayed"} 0');
    expect(text).toContain('mlq_job_duration_seconds_bucket{le="5",queue="retrain",status="completed"} 1');
    expect(text).toContain('mlq_job_duration_seconds_count{queue="retrain",status="completed"} 1');
    expect(text).toContain('mlq_gate_passed{gate="trade_count"} 1');
    expect(text).toContain('mlq_gate_value{gate="trade_count"} 82');
    expect(text).toContain('mlq_gate_threshold{gate="trade_count"} 75');
    expect(text).toContain('mlq_active_arm{arm="v2_paper"} 1');
    expect(text).toContain("mlq_calibration_position_size_multiplier 1.2");
    expect(text).toContain("mlq_redis_up 1");
    // The same finished job is not observed twice.
    expect(await m.scrape()).toContain('mlq_job_duration_seconds_count{queue="retrain",status="completed"} 1');
    status = "reconnecting";
    const down = await m.scrape();
    expect(down).toContain("mlq_redis_up 0");
    expect(down).not.toContain("mlq_queue_jobs{");
  });

  it("counts a queue's workers from their heartbeats where CLIENT LIST is refused (a managed Redis), and gives no series without them", async () => {
    fixture = createFixture({ tradesPerArm: 1 });
    const f = fixture;
    const prefix = `{mlqtest-${randomBytes(5).toString("hex")}}`;
    const redis = new Redis("redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
    const refused = (name: string) =>
      Object.assign(fakeQueue(name), { getWorkersCount: () => Promise.reject(new Error("ERR unknown command 'CLIENT'")) }) as unknown as Queue;
    const beats = [startWorkerHeartbeat(redis, prefix, "train", { host: "a" }), startWorkerHeartbeat(redis, prefix, "train", { host: "b" })];
    try {
      await new Promise((r) => setTimeout(r, 100));
      const read = () => readStatus({ dbPath: f.dbPath, modelsDir: f.modelsDir, tradeLimit: 0 });
      const m = createMetrics({ queues: [refused("train"), refused("retrain")], prefix, redis, redisStatus: () => "ready", readStatus: read, logger: silentLogger });
      const text = await m.scrape();
      expect(text).toContain('mlq_queue_workers{queue="train"} 2');
      expect(text).toContain('mlq_queue_workers{queue="retrain"} 0');
      const without = createMetrics({ queues: [refused("train")], prefix, redisStatus: () => "ready", readStatus: read, logger: silentLogger });
      expect(await without.scrape()).not.toContain("mlq_queue_workers{");
    } finally {
      for (const b of beats) await b.stop();
      await redis.quit();
    }
  });

  it("exposes the promotion loop: role events by name (rollbacks), who holds which role, and the current evaluation's last look", async () => {
    const f = createPromotionFixture();
    fixture = f;
    const m = createMetrics({ queues: [], redisStatus: () => "ready", readStatus: () => readStatus({ dbPath: f.dbPath, modelsDir: f.modelsDir, tradeLimit: 0, now: () => NOW }), logger: silentLogger });
    const text = await m.scrape();
    expect(text).toContain("# TYPE mlq_role_events_total counter");
    expect(text).toContain('mlq_role_events_total{event="rollback"} 1');
    expect(text).toContain('mlq_role_events_total{event="register"} 5');
    expect(text).toContain('mlq_role_events_total{event="promote"} 1');
    expect(text).toContain('mlq_role_events_total{event="expire"} 0');
    for (const [role, version] of [
      ["champion", "1"],
      ["challenger", "3"],
      ["candidate", "4"],
      ["candidate", "5"],
      ["v1_backtest", "1"],
    ])
      expect(text).toContain(`mlq_model_role_info{role="${role}",version="${version}"} 1`);
    expect(text).not.toContain('role="previous_champion"');
    expect(text).toContain('mlq_champion_pinned{version="1"} 0');
    const look = f.runs.look1v3.evaluation;
    const ev = '{champion="1",challenger="3"}';
    expect(text).toContain(`mlq_ab_look_z${ev} ${look.z}`);
    expect(text).toContain(`mlq_ab_look_boundary_z${ev} ${look.boundary}`);
    expect(text).toContain(`mlq_ab_look_information_fraction${ev} ${look.informationFraction}`);
    expect(text).toContain(`mlq_ab_looks${ev} 1`);
    expect(text).toContain(`mlq_ab_alpha_k${ev} 0.05`);
    expect(text).toContain(`mlq_ab_challenger_expires_timestamp_seconds${ev} ${(f.times.rolledBackAt + 60 * 86_400_000) / 1000}`);
    expect(text).not.toContain("mlq_shadow_ok{");

    // The counter follows the history: one more event, one more count; an unreadable history keeps the counts.
    const conn = openDatabase(f.dbPath);
    conn.sqlite.prepare("INSERT INTO model_role_events (ts_ms, ts_iso, event, version, role, trigger, reason) VALUES (?, 'x', 'pin', '1', 'champion', 'operator', 'freeze')").run(NOW);
    expect(await m.scrape()).toMatch(/mlq_role_events_total\{event="pin"\} 1\n[^]*mlq_champion_pinned\{version="1"\} 1/);
    conn.sqlite.prepare("UPDATE model_role_events SET version = '9' WHERE event = 'pin'").run();
    const broken = await m.scrape();
    expect(broken).toContain('mlq_role_events_total{event="rollback"} 1');
    expect(broken).toContain('mlq_role_events_total{event="pin"} 1');
    expect(broken).not.toContain("mlq_model_role_info{");
    expect(broken).not.toMatch(/^mlq_(ab_look_z|ab_looks|champion_pinned)\{/m);
    expect(broken).toMatch(/mlq_status_problems [1-9]/);
    // A database with fewer events (replaced): the counter starts afresh rather than going down.
    conn.sqlite.prepare("DELETE FROM model_role_events WHERE event IN ('pin', 'rollback')").run();
    conn.close();
    const replaced = await m.scrape();
    expect(replaced).toContain('mlq_role_events_total{event="rollback"} 0');
    expect(replaced).toContain('mlq_role_events_total{event="register"} 5');
  });
  it("exposes the newest shadow evaluation of the current pair: bars, HAC z, p(challenger no worse), and whether it gave a p-value", async () => {
    const f = createPromotionFixture();
    fixture = f;
    const conn = openDatabase(f.dbPath);
    try {
      const base = { reason: null, windowStartMs: NOW - 86_400_000, windowEndMs: NOW, minBars: 4500, symbols: ["BTCUSDT"], perSymbol: [], horizonBars: 15, costPerSide: 0.001 };
      const stats = { thresholds: { a: 0.6, b: 0.6 }, tradesA: 10, tradesB: 12, sharpeA: 0.01, sharpeB: 0.02, difference: 0.01, correlation: 0.8, meanA: 1e-5, meanB: 2e-5, jkmZ: 2.2 };
      const method = { blockLength: 30, resamples: 2000, seed: 16, kernel: "parzen", bandwidth: 30 };
      insertShadowRun(conn, { ...base, ...stats, status: "ok", versionA: "1", versionB: "3", bars: 9000, hacZ: 1.9, pBetter: 0.03, pWorse: 0.97, testStatus: "ok", method, curves: null }, { nowMs: NOW, abRunId: null, jobId: null });
    } finally {
      conn.close();
    }
    const m = createMetrics({ queues: [], redisStatus: () => "ready", readStatus: () => readStatus({ dbPath: f.dbPath, modelsDir: f.modelsDir, tradeLimit: 0, now: () => NOW }), logger: silentLogger });
    const text = await m.scrape();
    const pair = '{version_a="1",version_b="3"}';
    expect(text).toContain(`mlq_shadow_ok${pair} 1`);
    expect(text).toContain(`mlq_shadow_bars${pair} 9000`);
    expect(text).toContain(`mlq_shadow_hac_z${pair} 1.9`);
    expect(text).toContain(`mlq_shadow_p_worse${pair} 0.97`);
  });
});
