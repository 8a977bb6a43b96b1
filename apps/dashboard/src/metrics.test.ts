import { afterEach, describe, expect, it } from "vitest";
import type { Queue } from "bullmq";
import { silentLogger } from "@mlq/core";
import { createFixture, type Fixture } from "./fixtures.test-util.js";
import { createMetrics, newDurations } from "./metrics.js";
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
});
