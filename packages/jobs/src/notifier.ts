// Raising events (SPEC §8 "notify"): a job that changed something worth telling adds one `notify`
// job per event, whose id is the event id (raising an event twice adds it once); worker-notify
// delivers it. Raising never throws and waits at most `raiseTimeoutMs`: a failed add is logged and
// the job that raised the event goes on. Without MLQ_NOTIFY_WEBHOOK_URL nothing is raised.
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { errorMessage, type Logger } from "@mlq/core";
import type { Config } from "@mlq/config";
import { jobCatalog, parsePayload, type NotifyPayload } from "./catalog.js";
import { createRedisConnection } from "./redis.js";
import type { JobFailure } from "./run-worker.js";

/** An event as its raiser builds it (requestedBy and data optional). */
export type NotifyEventInput = Omit<NotifyPayload, "data" | "requestedBy"> & { data?: Record<string, unknown> };

export interface Notifier {
  /** False without a webhook: raise() is then a no-op. */
  readonly enabled: boolean;
  /** Adds one notify job per event; resolves with how many were added (or already existed), never rejects. */
  raise(events: readonly NotifyEventInput[]): Promise<number>;
  close(): Promise<void>;
}

export const NULL_NOTIFIER: Notifier = Object.freeze({
  enabled: false,
  raise: () => Promise.resolve(0),
  close: () => Promise.resolve(),
});

export interface NotifierOptions {
  config: Config;
  logger: Logger;
  /** A connection to share (not closed by close()) ... */
  connection?: Redis | undefined;
  /** ... else one is opened from config.redisUrl. */
  raiseTimeoutMs?: number | undefined;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const { config, logger } = opts;
  if (!config.notify.webhookUrl) return NULL_NOTIFIER;
  const rq = jobCatalog(config).notify;
  const ownsConnection = !opts.connection;
  const connection = opts.connection ?? createRedisConnection(config.redisUrl, { role: "queue", logger });
  const queue = new Queue("notify", { connection, prefix: config.queuePrefix });
  queue.on("error", (err) => logger.warn("notify queue error", { error: errorMessage(err) }));
  const timeoutMs = opts.raiseTimeoutMs ?? 5_000;

  const addOne = async (event: NotifyEventInput): Promise<boolean> => {
    const data = parsePayload("notify", event);
    await queue.add(rq.jobName, data, {
      jobId: data.id,
      attempts: rq.retry.attempts,
      backoff: rq.retry.backoff,
      removeOnComplete: rq.retention.removeOnComplete,
      removeOnFail: rq.retention.removeOnFail,
    });
    logger.info("event raised", { eventId: data.id, type: data.type });
    return true;
  };

  return {
    enabled: true,
    async raise(events) {
      let added = 0;
      for (const event of events) {
        let timer: NodeJS.Timeout | undefined;
        try {
          const late = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`not added within ${timeoutMs} ms`)), timeoutMs);
          });
          if (await Promise.race([addOne(event), late])) added++;
        } catch (err) {
          logger.warn("could not raise event; the job that raised it goes on", {
            eventId: event.id,
            type: event.type,
            error: errorMessage(err),
          });
        } finally {
          clearTimeout(timer);
        }
      }
      return added;
    },
    async close() {
      await queue.close().catch(() => undefined);
      if (ownsConnection) await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/** Characters an event id may hold (job ids of scheduled jobs contain ':'). */
const idPart = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, "_");

/** The event of a job that failed for good (its last attempt, or an error that is never retried). */
export function jobFailedEvent(failure: JobFailure, nowMs: number): NotifyEventInput {
  return {
    id: `job-failed-${idPart(failure.queue)}-${idPart(failure.jobId)}-a${failure.attempt}`.slice(0, 128),
    type: "job.failed",
    occurredAt: new Date(nowMs).toISOString(),
    summary:
      `${failure.queue} job ${failure.jobId} failed for good (attempt ${failure.attempt} of ${failure.maxAttempts}): ${failure.error}`.slice(
        0,
        1000,
      ),
    data: {
      queue: failure.queue,
      jobId: failure.jobId,
      jobName: failure.jobName,
      attempt: failure.attempt,
      maxAttempts: failure.maxAttempts,
      error: failure.error,
    },
  };
}
