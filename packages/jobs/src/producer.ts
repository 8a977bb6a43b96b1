// The producer: keeps the job schedulers (one per queue) registered (idempotently, re-creating any that
// vanish, e.g. after a Redis restart without persistence) and enqueues / inspects / retries /
// cancels jobs for the CLI, the dashboard and the producer process (apps/producer).
import { randomBytes } from "node:crypto";
import { Queue, getNextMillis } from "bullmq";
import type { Job, JobSchedulerJson, JobType } from "bullmq";
import type { Redis } from "ioredis";
import { ConfigError, errorMessage } from "@mlq/core";
import type { Logger } from "@mlq/core";
import type { Config } from "@mlq/config";
import { PayloadError, QUEUE_NAMES, SCHEDULED_QUEUES, SCHEDULER_ID_PREFIX, isQueueName, jobCatalog, parsePayload } from "./catalog.js";
import type { QueueName, ResolvedQueue } from "./catalog.js";
import { requestCancel } from "./cancel.js";
import type { CancelOutcome } from "./cancel.js";
import { claimExclusive, exclusiveHolder, releaseStaleExclusive } from "./exclusive.js";
import { checkNoEviction, createRedisConnection } from "./redis.js";
import type { JobSummary } from "./run-worker.js";
import { JobFailedError, JobNotFoundError, JobStateError, WaitTimeoutError } from "./producer-errors.js";

export interface ProducerOptions {
  redisUrl: string;
  prefix: string;
  config: Config;
  logger: Logger;
  /** Use this connection instead of opening one (it is not closed by stop()). */
  connection?: Redis | undefined;
  /** Scheduler re-check interval; defaults to config.schedules.recheckMs. */
  recheckMs?: number | undefined;
}

export interface EnqueueOptions {
  /** Custom id: letters, digits, `.`, `_`, `-`; not all digits (BullMQ rule: no `:`, no integers). */
  jobId?: string | undefined;
  requestedBy?: string | undefined;
}

export interface EnqueueResult {
  jobId: string;
  /** True when no job was added because an equivalent one already exists (its id is returned). */
  deduplicated: boolean;
  state: string;
  message: string;
}

export interface ScheduleInfo {
  id: string;
  queue: QueueName;
  pattern: string;
  tz: string;
  /** Next run (ISO, UTC), or null when the pattern has no future run. */
  next: string | null;
  /** False when declared in the config but not (yet) registered in Redis. */
  registered: boolean;
}

export type JobStateName = "waiting" | "active" | "delayed" | "prioritized" | "completed" | "failed" | "waiting-children";

export interface JobInfo {
  id: string;
  queue: QueueName;
  name: string;
  state: string;
  data: unknown;
  progress: unknown;
  attemptsMade: number;
  failedReason: string | null;
  returnvalue: unknown;
  createdAt: string;
  processedAt: string | null;
  finishedAt: string | null;
  /** The scheduler that created the job, if any. */
  schedulerId: string | null;
}

export interface ListJobsOptions {
  queue?: QueueName | undefined;
  state?: JobStateName | undefined;
  limit?: number | undefined;
}

export interface WaitOptions {
  timeoutMs?: number | undefined;
  onProgress?: ((progress: unknown) => void) | undefined;
  pollMs?: number | undefined;
}

export interface Producer {
  /** The BullMQ queues (for Bull Board). */
  readonly queues: Readonly<Record<QueueName, Queue>>;
  start(): Promise<void>;
  enqueue(queue: QueueName, payload: unknown, options?: EnqueueOptions): Promise<EnqueueResult>;
  schedules(): Promise<ScheduleInfo[]>;
  listJobs(options?: ListJobsOptions): Promise<JobInfo[]>;
  getJob(jobId: string): Promise<JobInfo | null>;
  retry(jobId: string): Promise<JobInfo>;
  cancel(jobId: string, options?: { requestedBy?: string | undefined }): Promise<CancelOutcome>;
  waitForJob(queue: QueueName, jobId: string, options?: WaitOptions): Promise<JobSummary>;
  stop(): Promise<void>;
}

const ALL_STATES: JobStateName[] = ["active", "waiting", "prioritized", "delayed", "waiting-children", "completed", "failed"];
const JOB_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

/** Validates a cron pattern the way the scheduler will use it; throws ConfigError naming the setting. */
export function validateCron(pattern: string, tz: string, setting: string, now = Date.now()): number {
  let next: number | undefined;
  try {
    next = getNextMillis(now, { pattern, tz });
  } catch (err) {
    throw new ConfigError(`${setting}=${JSON.stringify(pattern)}: invalid cron pattern (${errorMessage(err)})`, { cause: err });
  }
  if (next === undefined) throw new ConfigError(`${setting}=${JSON.stringify(pattern)}: cron pattern never fires`);
  return next;
}

/** JSON with sorted keys, so equal option objects compare equal whatever their key order. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

function templateOptions(rq: ResolvedQueue) {
  return {
    attempts: rq.retry.attempts,
    backoff: rq.retry.backoff,
    removeOnComplete: rq.retention.removeOnComplete,
    removeOnFail: rq.retention.removeOnFail,
  };
}

function schedulerMatches(current: JobSchedulerJson, rq: ResolvedQueue): boolean {
  const opts = current.template?.opts as Record<string, unknown> | undefined;
  const wanted = templateOptions(rq);
  const picked = opts ? { attempts: opts.attempts, backoff: opts.backoff, removeOnComplete: opts.removeOnComplete, removeOnFail: opts.removeOnFail } : {};
  return (
    current.pattern === rq.pattern &&
    (current.tz ?? "UTC") === rq.tz &&
    current.name === rq.jobName &&
    stableJson(current.template?.data ?? {}) === stableJson(rq.scheduledPayload) &&
    stableJson(picked) === stableJson(wanted)
  );
}

function iso(ms: number | undefined | null): string | null {
  return typeof ms === "number" && Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null;
}

async function toJobInfo(queue: QueueName, job: Job, knownState?: string): Promise<JobInfo> {
  return {
    id: job.id ?? "",
    queue,
    name: job.name,
    state: knownState ?? (await job.getState()),
    data: job.data as unknown,
    progress: job.progress,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason || null,
    returnvalue: (job.returnvalue as unknown) ?? null,
    createdAt: new Date(job.timestamp).toISOString(),
    processedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
    schedulerId: job.repeatJobKey ?? null,
  };
}

export function createProducer(options: ProducerOptions): Producer {
  const { prefix, config, logger } = options;
  const catalog = jobCatalog(config);
  const ownsConnection = !options.connection;
  const connection = options.connection ?? createRedisConnection(options.redisUrl, { role: "queue", logger });
  const queues = Object.fromEntries(QUEUE_NAMES.map((q) => [q, new Queue(q, { connection, prefix })])) as Record<QueueName, Queue>;
  for (const q of QUEUE_NAMES) queues[q].on("error", (err) => logger.warn("queue error", { queue: q, error: errorMessage(err) }));
  const recheckMs = options.recheckMs ?? config.schedules.recheckMs;
  let recheckTimer: NodeJS.Timeout | undefined;
  let reconciling: Promise<void> | undefined;
  let stopped = false;

  async function upsert(rq: ResolvedQueue): Promise<void> {
    await queues[rq.queue].upsertJobScheduler(
      rq.schedulerId,
      { pattern: rq.pattern, tz: rq.tz },
      { name: rq.jobName, data: rq.scheduledPayload, opts: templateOptions(rq) },
    );
  }

  async function reconcile(phase: "start" | "recheck"): Promise<void> {
    for (const q of SCHEDULED_QUEUES) {
      const rq = catalog[q];
      const existing = await queues[q].getJobSchedulers(0, -1, true);
      for (const s of existing) {
        const id = s.id ?? s.key;
        if (id.startsWith(SCHEDULER_ID_PREFIX) && id !== rq.schedulerId) {
          await queues[q].removeJobScheduler(id);
          logger.info("removed scheduler no longer declared", { queue: q, schedulerId: id, pattern: s.pattern });
        }
      }
      const current = existing.find((s) => (s.id ?? s.key) === rq.schedulerId);
      if (!current) {
        await upsert(rq);
        const fields = { queue: q, schedulerId: rq.schedulerId, pattern: rq.pattern, tz: rq.tz };
        if (phase === "recheck") logger.warn("scheduler had vanished (Redis restarted or flushed?): re-created", fields);
        else logger.info("scheduler registered", fields);
      } else if (!schedulerMatches(current, rq)) {
        await upsert(rq);
        logger.info("scheduler updated", { queue: q, schedulerId: rq.schedulerId, from: current.pattern, pattern: rq.pattern, tz: rq.tz });
      } else if (current.next !== undefined && !(await queues[q].getJob(`repeat:${rq.schedulerId}:${current.next}`))) {
        // The pending iteration was removed (e.g. cancelled); without it the scheduler never fires again.
        await upsert(rq);
        logger.warn("scheduler had no pending run: re-created it", { queue: q, schedulerId: rq.schedulerId, next: iso(current.next) });
      }
      // Identical scheduler: leave it alone, so a run that is due but not yet picked up is not replaced.
    }
  }

  function reconcileOnce(phase: "start" | "recheck"): Promise<void> {
    reconciling ??= reconcile(phase).finally(() => {
      reconciling = undefined;
    });
    return reconciling;
  }

  async function findJob(jobId: string): Promise<{ queue: QueueName; job: Job } | null> {
    for (const q of QUEUE_NAMES) {
      const job = await queues[q].getJob(jobId);
      if (job) return { queue: q, job };
    }
    return null;
  }

  const producer: Producer = {
    queues,

    async start() {
      for (const q of SCHEDULED_QUEUES) validateCron(catalog[q].pattern, catalog[q].tz, catalog[q].cronEnvVar);
      const evictionWarning = await checkNoEviction(connection);
      if (evictionWarning) logger.warn(evictionWarning);
      await reconcileOnce("start");
      if (!recheckTimer && !stopped) {
        recheckTimer = setInterval(() => {
          reconcileOnce("recheck").catch((err: unknown) => logger.warn("scheduler re-check failed", { error: errorMessage(err) }));
        }, recheckMs);
      }
      logger.info("producer started", { prefix, schedulers: SCHEDULED_QUEUES.map((q) => `${catalog[q].schedulerId} ${catalog[q].pattern} ${catalog[q].tz}`) });
    },

    async enqueue(queue, payload, opts = {}) {
      if (!isQueueName(queue)) throw new PayloadError(`unknown queue ${JSON.stringify(queue)} (expected ${QUEUE_NAMES.join(", ")})`);
      const withRequester =
        opts.requestedBy && payload !== null && typeof payload === "object" && !("requestedBy" in payload)
          ? { ...payload, requestedBy: opts.requestedBy }
          : payload === undefined && opts.requestedBy
            ? { requestedBy: opts.requestedBy }
            : payload;
      const data = parsePayload(queue, withRequester);
      const rq = catalog[queue];
      const q = queues[queue];
      if (opts.jobId !== undefined) {
        if (!JOB_ID_RE.test(opts.jobId) || /^\d+$/.test(opts.jobId)) {
          throw new PayloadError(`invalid job id ${JSON.stringify(opts.jobId)}: use letters, digits, '.', '_' or '-' (not only digits, no ':')`);
        }
        const existing = await q.getJob(opts.jobId);
        if (existing) {
          const state = await existing.getState();
          return { jobId: opts.jobId, deduplicated: true, state, message: `job ${opts.jobId} already exists in ${queue} (${state}); not adding another` };
        }
      }
      const requestedId = opts.jobId ?? `${queue}-${Date.now()}-${randomBytes(3).toString("hex")}`;
      if (rq.exclusiveId) {
        const stale = await releaseStaleExclusive(connection, prefix, queue, rq.exclusiveId);
        if (stale) logger.warn("released a stale exclusive slot", { queue, heldBy: stale });
      }
      const job = await q.add(rq.jobName, data, {
        jobId: requestedId,
        attempts: rq.retry.attempts,
        backoff: rq.retry.backoff,
        removeOnComplete: rq.retention.removeOnComplete,
        removeOnFail: rq.retention.removeOnFail,
        ...(rq.exclusiveId ? { deduplication: { id: rq.exclusiveId } } : {}),
      });
      const jobId = job.id ?? requestedId;
      const deduplicated = jobId !== requestedId;
      const state = await q.getJobState(jobId);
      const message = deduplicated
        ? `a ${queue} job is already ${state} (job ${jobId}); not queueing another`
        : `queued ${queue} job ${jobId}`;
      logger.info(deduplicated ? "enqueue deduplicated" : "job enqueued", { queue, jobId, state, payload: data });
      return { jobId, deduplicated, state, message };
    },

    async schedules() {
      const out: ScheduleInfo[] = [];
      for (const q of SCHEDULED_QUEUES) {
        const rq = catalog[q];
        const registered = await queues[q].getJobSchedulers(0, -1, true);
        const ours = registered.filter((s) => (s.id ?? s.key).startsWith(SCHEDULER_ID_PREFIX));
        for (const s of ours) out.push({ id: s.id ?? s.key, queue: q, pattern: s.pattern ?? "", tz: s.tz ?? "UTC", next: iso(s.next), registered: true });
        if (!ours.some((s) => (s.id ?? s.key) === rq.schedulerId)) {
          let next: string | null = null;
          try {
            next = iso(getNextMillis(Date.now(), { pattern: rq.pattern, tz: rq.tz }));
          } catch {
            /* reported by start() */
          }
          out.push({ id: rq.schedulerId, queue: q, pattern: rq.pattern, tz: rq.tz, next, registered: false });
        }
      }
      return out;
    },

    async listJobs(opts = {}) {
      const limit = Math.max(1, Math.min(opts.limit ?? 20, 1000));
      const targets = opts.queue ? [opts.queue] : [...QUEUE_NAMES];
      const types: JobType[] = opts.state ? [opts.state] : ALL_STATES;
      const found: { queue: QueueName; job: Job }[] = [];
      for (const q of targets) {
        const jobs = await queues[q].getJobs(types, 0, limit - 1, false);
        for (const job of jobs) if (job) found.push({ queue: q, job });
      }
      found.sort((a, b) => b.job.timestamp - a.job.timestamp);
      return Promise.all(found.slice(0, limit).map(({ queue, job }) => toJobInfo(queue, job, opts.state)));
    },

    async getJob(jobId) {
      const hit = await findJob(jobId);
      return hit ? toJobInfo(hit.queue, hit.job) : null;
    },

    async retry(jobId) {
      const hit = await findJob(jobId);
      if (!hit) throw new JobNotFoundError(`job ${jobId} not found in ${QUEUE_NAMES.join(", ")}`);
      const { queue, job } = hit;
      const state = await job.getState();
      if (state !== "failed" && state !== "completed") {
        throw new JobStateError(`job ${jobId} is ${state}; only failed or completed jobs can be retried`);
      }
      const exclusiveId = catalog[queue].exclusiveId;
      if (exclusiveId) {
        const holder = await exclusiveHolder(connection, prefix, queue, exclusiveId);
        if (holder && holder !== jobId) throw new JobStateError(`a ${queue} job is already queued or running (job ${holder}); not retrying ${jobId}`);
      }
      await job.retry(state);
      if (exclusiveId) await claimExclusive(connection, prefix, queue, exclusiveId, jobId);
      logger.info("job retried", { queue, jobId, from: state });
      const fresh = await queues[queue].getJob(jobId);
      return toJobInfo(queue, fresh ?? job);
    },

    async cancel(jobId, opts = {}) {
      const hit = await findJob(jobId);
      if (!hit) return "not-found";
      const outcome = await requestCancel(connection, prefix, hit.queue, jobId, opts);
      logger.info("cancel requested", { queue: hit.queue, jobId, outcome, requestedBy: opts.requestedBy });
      return outcome;
    },

    async waitForJob(queue, jobId, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? catalog[queue].timeoutMs + 60_000;
      const pollMs = opts.pollMs ?? 250;
      const deadline = Date.now() + timeoutMs;
      let lastProgress = "";
      for (;;) {
        const job = await queues[queue].getJob(jobId);
        if (!job) throw new JobNotFoundError(`job ${jobId} not found in ${queue} (removed?)`);
        const progressJson = stableJson(job.progress ?? null);
        if (progressJson !== lastProgress) {
          lastProgress = progressJson;
          if (job.progress !== undefined && job.progress !== 0) opts.onProgress?.(job.progress);
        }
        const state = await job.getState();
        if (state === "completed" || state === "failed") {
          // Re-read: the job may have finished between getJob and getState.
          const done = (await queues[queue].getJob(jobId)) ?? job;
          if (state === "completed") return (done.returnvalue ?? {}) as JobSummary;
          throw new JobFailedError(done.failedReason || `job ${jobId} failed`, { context: { queue, jobId, attemptsMade: done.attemptsMade } });
        }
        if (Date.now() >= deadline) throw new WaitTimeoutError(`gave up waiting for ${queue} job ${jobId} after ${Math.round(timeoutMs / 1000)} s (it is ${state})`);
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },

    async stop() {
      stopped = true;
      clearInterval(recheckTimer);
      recheckTimer = undefined;
      await reconciling?.catch(() => undefined);
      await Promise.all(QUEUE_NAMES.map((q) => queues[q].close().catch(() => undefined)));
      if (ownsConnection) await connection.quit().catch(() => connection.disconnect());
    },
  };
  return producer;
}
