import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "@mlq/config";
import { createNotifier, jobFailedEvent, NULL_NOTIFIER } from "./notifier.js";
import { RedisFixture, TEST_REDIS_URL } from "./test-support.test-util.js";

const EVENT = {
  id: "role-3-promote-1764806400000",
  type: "champion.promoted" as const,
  occurredAt: "2026-12-04T00:00:00.000Z",
  summary: "2 promoted",
};
const logger = () => ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() });

describe("createNotifier (real Redis)", () => {
  let fx: RedisFixture;
  beforeEach(() => {
    fx = new RedisFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });
  const config = (extra: Record<string, string> = {}) =>
    loadConfig({
      REDIS_URL: TEST_REDIS_URL,
      MLQ_QUEUE_PREFIX: fx.prefix,
      MLQ_NOTIFY_WEBHOOK_URL: "http://127.0.0.1:9/hook",
      MLQ_NOTIFY_SECRET: "0123456789abcdef",
      MLQ_NOTIFY_ATTEMPTS: "4",
      ...extra,
    });

  it("adds one notify job per event under the event's id, with the notify retry policy; raising it again adds nothing", async () => {
    const notifier = createNotifier({ config: config(), logger: logger(), connection: fx.conn });
    fx.onCleanup(() => notifier.close());
    expect(notifier.enabled).toBe(true);
    expect(await notifier.raise([EVENT])).toBe(1);
    expect(await notifier.raise([EVENT])).toBe(1);
    const q = fx.queue("notify");
    expect(await q.getJobCountByTypes("waiting")).toBe(1);
    const job = (await q.getJob(EVENT.id))!;
    expect(job.data).toEqual({ ...EVENT, data: {} });
    expect(job.opts).toMatchObject({ attempts: 4, backoff: { type: "exponential", delay: 30_000 } });
  });

  it("without a webhook it raises nothing and opens no connection", async () => {
    const notifier = createNotifier({ config: loadConfig({ REDIS_URL: "redis://127.0.0.1:1" }), logger: logger() });
    expect(notifier).toBe(NULL_NOTIFIER);
    expect(await notifier.raise([EVENT])).toBe(0);
  });

  it("never rejects: an invalid event or an unreachable Redis is logged and the raiser goes on", async () => {
    const log = logger();
    const down = createNotifier({ config: config({ REDIS_URL: "redis://127.0.0.1:1" }), logger: log, raiseTimeoutMs: 200 });
    try {
      expect(await down.raise([EVENT, { ...EVENT, id: "bad:id" }])).toBe(0);
    } finally {
      await down.close();
    }
    expect(log.warn).toHaveBeenCalledWith(
      "could not raise event; the job that raised it goes on",
      expect.objectContaining({ eventId: EVENT.id, error: "not added within 200 ms" }),
    );
    expect(log.warn).toHaveBeenCalledWith(
      "could not raise event; the job that raised it goes on",
      expect.objectContaining({ eventId: "bad:id", error: expect.stringMatching(/^invalid notify payload: id/) }),
    );
  });
});

describe("jobFailedEvent", () => {
  it("makes a valid event id of any job id (scheduled ids hold ':') and says what failed", () => {
    const failure = {
      queue: "retrain" as const,
      jobId: "repeat:mlq-retrain-daily:1764853200000",
      jobName: "retrain",
      attempt: 3,
      maxAttempts: 3,
      error: "SQLITE_BUSY",
    };
    expect(jobFailedEvent(failure, Date.UTC(2026, 11, 4))).toEqual({
      id: "job-failed-retrain-repeat_mlq-retrain-daily_1764853200000-a3",
      type: "job.failed",
      occurredAt: "2026-12-04T00:00:00.000Z",
      summary: "retrain job repeat:mlq-retrain-daily:1764853200000 failed for good (attempt 3 of 3): SQLITE_BUSY",
      data: failure,
    });
  });
});
