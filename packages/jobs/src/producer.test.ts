import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { loadConfig } from "@mlq/config";
import type { Config } from "@mlq/config";
import { ConfigError, TransientDbError } from "@mlq/core";
import type { Logger } from "@mlq/core";
import { createLogger } from "@mlq/logger";
import { PayloadError, SCHEDULED_QUEUES } from "./catalog.js";
import type { QueueName } from "./catalog.js";
import { deleteKeysWithPrefix } from "./redis.js";
import { runWorker } from "./run-worker.js";
import type { JobHandler, WorkerHandle } from "./run-worker.js";
import { createProducer, validateCron } from "./producer.js";
import type { Producer } from "./producer.js";
import { JobFailedError, JobNotFoundError, JobStateError } from "./producer-errors.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const appLogger = createLogger({ name: "producer-test", console: false });

interface Captured extends Logger {
  lines: { level: string; msg: string; fields?: Record<string, unknown> }[];
}
function capture(): Captured {
  const lines: Captured["lines"] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, msg, ...(fields ? { fields } : {}) });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

describe("validateCron", () => {
  it.each([
    ["0 13 * * *", "UTC", Date.UTC(2026, 10, 3, 12, 0), Date.UTC(2026, 10, 3, 13, 0)],
    ["0 13 * * *", "UTC", Date.UTC(2026, 10, 3, 13, 0), Date.UTC(2026, 10, 4, 13, 0)],
    ["30 12 * * *", "UTC", Date.UTC(2026, 10, 3, 23, 59), Date.UTC(2026, 10, 4, 12, 30)],
  ])("%s (%s) after %i is %i", (pattern, tz, now, next) => {
    expect(validateCron(pattern, tz, "MLQ_CRON_X", now)).toBe(next);
  });

  it("names the setting and the value of an invalid pattern", () => {
    expect(() => validateCron("61 * * * *", "UTC", "MLQ_CRON_RETRAIN")).toThrow(ConfigError);
    expect(() => validateCron("61 * * * *", "UTC", "MLQ_CRON_RETRAIN")).toThrow(/^MLQ_CRON_RETRAIN="61 \* \* \* \*": invalid cron pattern/);
  });
});

describe("producer (real Redis)", () => {
  let prefix: string;
  let admin: Redis;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeEach(() => {
    prefix = `{mlqtest-${randomBytes(5).toString("hex")}}`;
    admin = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  });
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
  });

  function config(env: Record<string, string> = {}): Config {
    return loadConfig({ MLQ_RETRY_BACKOFF_MS: "10", ...env });
  }
  function producer(env: Record<string, string> = {}, logger: Logger = capture(), recheckMs?: number): Producer {
    const p = createProducer({ redisUrl: REDIS_URL, prefix, config: config(env), logger, recheckMs });
    cleanups.push(() => p.stop());
    return p;
  }
  function queue(name: string): Queue {
    const q = new Queue(name, { connection: admin, prefix });
    cleanups.push(() => q.close());
    return q;
  }
  function worker<Q extends QueueName>(name: Q, handler: JobHandler<Q>): WorkerHandle {
    const h = runWorker({
      queue: name,
      prefix,
      redisUrl: REDIS_URL,
      timeoutMs: 10_000,
      shutdownGraceMs: 1_000,
      logger: appLogger,
      handler,
      progressThrottleMs: 0,
    });
    cleanups.push(() => h.close());
    return h;
  }
  async function schedulerSummary() {
    const out: Record<string, unknown[]> = {};
    for (const name of SCHEDULED_QUEUES) {
      const q = queue(name);
      const s = await q.getJobSchedulers();
      out[name] = s.map((x) => [x.key, x.pattern, x.tz]);
      out[`${name}:pending`] = (await q.getJobs(["delayed", "waiting"])).map((j) => j.repeatJobKey);
    }
    return out;
  }

  it("registers exactly the four schedulers in UTC, and starting again (same or another process) changes nothing", async () => {
    const p1 = producer();
    await p1.start();
    const first = await schedulerSummary();
    expect(first).toEqual({
      retrain: [["mlq-retrain-daily", "0 13 * * *", "UTC"]],
      "retrain:pending": ["mlq-retrain-daily"],
      "ab-eval": [["mlq-ab-eval-daily", "0 1 * * *", "UTC"]],
      "ab-eval:pending": ["mlq-ab-eval-daily"],
      calibrate: [["mlq-calibrate-daily", "30 12 * * *", "UTC"]],
      "calibrate:pending": ["mlq-calibrate-daily"],
      monitor: [["mlq-monitor-hourly", "5 * * * *", "UTC"]],
      "monitor:pending": ["mlq-monitor-hourly"],
    });
    await p1.start();
    const p2 = producer();
    await p2.start();
    await p2.start();
    expect(await schedulerSummary()).toEqual(first);
    const schedules = await p2.schedules();
    expect(schedules.map((s) => [s.id, s.queue, s.pattern, s.tz, s.registered])).toEqual([
      ["mlq-retrain-daily", "retrain", "0 13 * * *", "UTC", true],
      ["mlq-ab-eval-daily", "ab-eval", "0 1 * * *", "UTC", true],
      ["mlq-calibrate-daily", "calibrate", "30 12 * * *", "UTC", true],
      ["mlq-monitor-hourly", "monitor", "5 * * * *", "UTC", true],
    ]);
    const retrainNext = Date.parse(schedules[0]!.next!);
    expect(new Date(retrainNext).getUTCHours()).toBe(13);
    expect(retrainNext).toBeGreaterThan(Date.now());
  });

  it("replaces a scheduler whose pattern changed, keeping one scheduler and one pending run", async () => {
    await producer().start();
    const log = capture();
    await producer({ MLQ_CRON_RETRAIN: "15 14 * * *" }, log).start();
    const s = await schedulerSummary();
    expect(s.retrain).toEqual([["mlq-retrain-daily", "15 14 * * *", "UTC"]]);
    expect(s["retrain:pending"]).toEqual(["mlq-retrain-daily"]);
    const pending = await queue("retrain").getJobs(["delayed"]);
    expect(new Date(pending[0]!.timestamp + (pending[0]!.delay ?? 0)).getUTCMinutes()).toBe(15);
    expect(log.lines.some((l) => l.msg === "scheduler updated" && l.fields?.from === "0 13 * * *")).toBe(true);
  });

  it("removes our schedulers that are no longer declared and leaves foreign ones alone", async () => {
    const q = queue("calibrate");
    await q.upsertJobScheduler("mlq-calibrate-hourly", { pattern: "0 * * * *" }, { name: "calibrate", data: {} });
    await q.upsertJobScheduler("someone-else", { pattern: "0 * * * *" }, { name: "x", data: {} });
    await producer().start();
    const ids = (await q.getJobSchedulers()).map((s) => s.key).sort();
    expect(ids).toEqual(["mlq-calibrate-daily", "someone-else"]);
  });

  it("re-creates a scheduler that vanished, on the next re-check, and says so", async () => {
    const log = capture();
    const p = producer({}, log, 50);
    await p.start();
    await queue("ab-eval").removeJobScheduler("mlq-ab-eval-daily");
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (await queue("ab-eval").getJobSchedulers()).length === 0) await new Promise((r) => setTimeout(r, 25));
    expect((await queue("ab-eval").getJobSchedulers()).map((s) => s.key)).toEqual(["mlq-ab-eval-daily"]);
    expect(log.lines.some((l) => l.level === "warn" && l.msg.startsWith("scheduler had vanished") && l.fields?.queue === "ab-eval")).toBe(
      true,
    );
  });

  it("refuses to start on an invalid cron pattern, naming the setting, and registers nothing", async () => {
    const p = producer({ MLQ_CRON_AB_EVAL: "0 25 * * *" });
    await expect(p.start()).rejects.toThrow(/^MLQ_CRON_AB_EVAL="0 25 \* \* \*": invalid cron pattern/);
    expect(await queue("retrain").getJobSchedulers()).toEqual([]);
  });

  it("keeps at most one retrain: 20 concurrent forced requests from 4 connections create exactly one job", async () => {
    const producers = [producer(), producer(), producer(), producer()];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => producers[i % 4]!.enqueue("retrain", { trigger: "force" }, { requestedBy: `host-${i % 4}` })),
    );
    const ids = new Set(results.map((r) => r.jobId));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => !r.deduplicated)).toHaveLength(1);
    const dup = results.find((r) => r.deduplicated)!;
    expect(dup.message).toBe(`a retrain job is already waiting (job ${dup.jobId}); not queueing another`);
    const q = queue("retrain");
    expect(await q.getJobCountByTypes("waiting", "active", "delayed", "prioritized")).toBe(1);
  });

  it("applies retention and retry policy to enqueued jobs", async () => {
    const p = producer({ MLQ_RETRY_ATTEMPTS: "4", MLQ_KEEP_COMPLETED_COUNT: "7", MLQ_KEEP_FAILED_AGE_S: "3600" });
    const r = await p.enqueue("calibrate", {}, { jobId: "cal-1", requestedBy: "ops" });
    expect(r).toEqual({ jobId: "cal-1", deduplicated: false, state: "waiting", message: "queued calibrate job cal-1" });
    const job = await queue("calibrate").getJob("cal-1");
    expect(job!.data).toEqual({ requestedBy: "ops" });
    expect(job!.opts).toMatchObject({
      attempts: 4,
      backoff: { type: "exponential", delay: 10 },
      removeOnComplete: { age: 14 * 86_400, count: 7 },
      removeOnFail: { age: 3600, count: 2000 },
    });
    const again = await p.enqueue("calibrate", {}, { jobId: "cal-1" });
    expect(again.deduplicated).toBe(true);
  });

  it("rejects invalid payloads and job ids with PayloadError before touching Redis", async () => {
    const p = producer();
    await expect(p.enqueue("retrain", { trigger: "now" })).rejects.toThrow(PayloadError);
    await expect(p.enqueue("ab-eval", { action: "evaluate", x: 1 })).rejects.toThrow(/^invalid ab-eval payload: unknown field x$/);
    await expect(p.enqueue("calibrate", {}, { jobId: "a:b" })).rejects.toThrow(/invalid job id "a:b"/);
    await expect(p.enqueue("calibrate", {}, { jobId: "123" })).rejects.toThrow(PayloadError);
    expect(await queue("retrain").getJobCountByTypes("waiting")).toBe(0);
  });

  it("waits for a job's summary with progress, retries a failed job, and maps unknown ids to JobNotFoundError", async () => {
    const p = producer({ MLQ_RETRY_ATTEMPTS: "1" });
    let fail = true;
    worker("ab-eval", async (payload, io) => {
      io.progress({ stage: "metrics", pct: 50 });
      if (fail) throw new TransientDbError("database is locked");
      return { decision: "keep", action: payload.action };
    });
    const { jobId } = await p.enqueue("ab-eval", { action: "dry-run" }, { jobId: "ab-1" });
    await expect(p.waitForJob("ab-eval", jobId, { timeoutMs: 10_000, pollMs: 20 })).rejects.toThrow(JobFailedError);
    expect((await p.getJob("ab-1"))!.failedReason).toBe("database is locked");
    fail = false;
    const retried = await p.retry("ab-1");
    expect(retried.queue).toBe("ab-eval");
    const progress: unknown[] = [];
    const summary = await p.waitForJob("ab-eval", jobId, { timeoutMs: 10_000, pollMs: 20, onProgress: (x) => progress.push(x) });
    expect(summary).toEqual({ decision: "keep", action: "dry-run" });
    expect(progress).toContainEqual({ stage: "metrics", pct: 50 });
    await expect(p.retry("nope")).rejects.toThrow(JobNotFoundError);
    await expect(p.retry("nope")).rejects.toThrow("job nope not found in retrain, ab-eval, calibrate, monitor");
    const listed = await p.listJobs({ queue: "ab-eval", state: "completed", limit: 5 });
    expect(listed.map((j) => [j.id, j.state, j.returnvalue])).toEqual([["ab-1", "completed", { decision: "keep", action: "dry-run" }]]);
  });

  it("cancels a waiting job through cancel(), refuses to retry a waiting job, and reports unknown ids", async () => {
    const p = producer();
    await p.enqueue("retrain", { trigger: "smoke" }, { jobId: "r-1" });
    await expect(p.retry("r-1")).rejects.toThrow(JobStateError);
    expect(await p.cancel("r-1", { requestedBy: "ops" })).toBe("cancelled-waiting");
    expect(await p.getJob("r-1")).toBeNull();
    expect(await p.cancel("r-1")).toBe("not-found");
    // The exclusive slot went with the removed job: a new forced retrain is accepted.
    expect((await p.enqueue("retrain", { trigger: "force" })).deduplicated).toBe(false);
  });

  it("a missed run produces one late run, not a catch-up burst (BullMQ 6 scheduler behaviour)", async () => {
    // Every second; no worker for ~2.5 s, i.e. 2-3 missed firings.
    const p = producer({ MLQ_CRON_CALIBRATE: "* * * * * *" });
    await p.start();
    await new Promise((r) => setTimeout(r, 2_500));
    const q = queue("calibrate");
    const pending = await q.getJobs(["delayed", "waiting"]);
    expect(pending.filter((j) => j.repeatJobKey === "mlq-calibrate-daily")).toHaveLength(1); // only one iteration ever exists
    const ran: { millis: number; at: number }[] = [];
    worker("calibrate", async (_p, io) => (ran.push({ millis: Number(io.jobId.split(":").pop()), at: Date.now() }), { ok: true }));
    const deadline = Date.now() + 8_000;
    while (ran.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const [late, following] = ran;
    expect(late!.millis).toBeLessThan(late!.at - 1_500); // the one missed run, executed late
    expect(following!.millis).toBeGreaterThan(late!.at); // then the next future slot: the missed slots in between are skipped
  });
});
