// Helpers for tests that talk to the real Redis at 127.0.0.1:6379 under a unique key prefix.
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import type { Job } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, beforeEach } from "vitest";
import { deleteKeysWithPrefix } from "./redis.js";
import { runWorker, type JobHandler, type RunWorkerOptions, type WorkerHandle } from "./run-worker.js";
import type { QueueName } from "./catalog.js";
import type { AppLogger } from "@mlq/logger";

export const TEST_REDIS_URL = "redis://127.0.0.1:6379";

export function uniquePrefix(): string {
  return `{mlqtest-${randomBytes(5).toString("hex")}}`;
}

export function workerConnection(): Redis {
  return new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
}

/** Tracks everything a test opens and closes/deletes it in afterEach. */
export class RedisFixture {
  readonly prefix = uniquePrefix();
  readonly conn = workerConnection();
  private readonly closers: (() => Promise<unknown>)[] = [];

  queue(name: string): Queue {
    const q = new Queue(name, { connection: this.conn, prefix: this.prefix });
    this.onCleanup(() => q.close());
    return q;
  }

  onCleanup(fn: () => Promise<unknown>): void {
    this.closers.push(fn);
  }

  async cleanup(): Promise<void> {
    for (const fn of this.closers.splice(0).reverse()) await fn().catch(() => undefined);
    await deleteKeysWithPrefix(this.conn, this.prefix);
    await this.conn.quit();
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves with the job once it is completed or failed (after its last attempt). */
export function waitFinished(queue: Queue, jobId: string, timeoutMs = 10_000): Promise<Job> {
  return waitFor(
    `job ${jobId} to finish`,
    async () => {
      const job = await queue.getJob(jobId);
      if (!job) return undefined;
      const state = await job.getState();
      // Re-read once finished: the job may have finished between getJob and getState.
      return state === "completed" || state === "failed" ? await queue.getJob(jobId) : undefined;
    },
    timeoutMs,
  );
}

export function waitState(queue: Queue, jobId: string, states: string[], timeoutMs = 10_000): Promise<string> {
  return waitFor(
    `job ${jobId} to be ${states.join("|")}`,
    async () => {
      const job = await queue.getJob(jobId);
      const state = job ? await job.getState() : "missing";
      return states.includes(state) ? state : undefined;
    },
    timeoutMs,
  );
}

/** A runWorker on the fixture's prefix and connection (10 s timeout, no progress throttle), tracked in `handles` for closing. */
export function startTestWorker<Q extends QueueName>(
  fx: RedisFixture,
  handles: WorkerHandle[],
  logger: AppLogger,
  queue: Q,
  handler: JobHandler<Q>,
  extra: Partial<RunWorkerOptions<Q>> = {},
): WorkerHandle {
  const h = runWorker({
    queue,
    prefix: fx.prefix,
    connection: fx.conn,
    timeoutMs: 10_000,
    shutdownGraceMs: 5_000,
    logger,
    handler,
    progressThrottleMs: 0,
    ...extra,
  });
  handles.push(h);
  return h;
}

/**
 * For a describe block of worker tests: a fresh RedisFixture before each test (handed to `set`), and
 * after it the workers in `handles` closed, then the fixture's keys and connections cleaned up.
 */
export function useRedisWorkers(set: (fx: RedisFixture) => void, handles: WorkerHandle[]): void {
  let current: RedisFixture | undefined;
  beforeEach(() => {
    current = new RedisFixture();
    set(current);
  });
  afterEach(async () => {
    for (const h of handles.splice(0)) await h.close();
    await current?.cleanup();
  });
}
