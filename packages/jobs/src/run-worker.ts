// The worker bootstrap every worker app uses: validated payloads, one AbortSignal per job that
// fires on timeout / cancel / shutdown, error mapping to retry-or-not, progress and job logs,
// exclusivity for the retrain queue and graceful shutdown.
import { hostname } from "node:os";
import { DelayedError, UnrecoverableError, WaitingChildrenError, Worker } from "bullmq";
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import { z } from "zod";
import { AbortedError, errorMessage, isSuspended } from "@mlq/core";
import type { ProgressFn } from "@mlq/core";
import { jobLogger } from "@mlq/logger";
import type { AppLogger } from "@mlq/logger";
import { PayloadError, QUEUE_DEFINITIONS, parsePayload } from "./catalog.js";
import type { PayloadFor, QueueName } from "./catalog.js";
import { CANCEL_REASON, cancelChannel, parseCancelMessage } from "./cancel.js";
import { claimExclusive } from "./exclusive.js";
import { createRedisConnection } from "./redis.js";
import { startWorkerHeartbeat } from "./worker-registry.js";

export type JobSummary = Record<string, unknown>;

export interface JobIo {
  jobId: string;
  /** 1 for the first run, 2 for the first retry, ... */
  attempt: number;
  /** The job's attempt limit (its `attempts` option; 1 when it has none). */
  maxAttempts: number;
  /**
   * True when a failure of this attempt will not be retried, whatever the error: the last attempt.
   * Handlers that leave retryable failures to the retry must record them when this is true.
   */
  finalAttempt: boolean;
  queue: QueueName;
  /** Child logger `{ queue, jobId, attempt }` whose lines also go to the job's log. */
  logger: AppLogger;
  /** Reports `{ stage, pct, detail }` as the job's progress (throttled; never throws). */
  progress: ProgressFn;
  /** Fires on timeout, cancel, BullMQ's own cancel, or shutdown after the grace period. */
  signal: AbortSignal;
  /** The BullMQ job and its lock token: a handler that adds children and waits for them needs both. */
  job: Job;
  token: string | undefined;
  /** When the job times out (epoch ms): one deadline across every pass of a job that waits for children. */
  deadlineMs: number;
  /** The state the job's last checkpoint saved (a job resumed after waiting for children, or after a crash); undefined on a fresh job. */
  resumeState: unknown;
  /** Saves `state` (small JSON) with the deadline in the job's data for the next pass; null clears it (the next attempt starts afresh). */
  checkpoint(state: unknown): Promise<void>;
}

/** The key of a job's data that runWorker owns: the checkpoint of a job that waits for children. It is not part of the payload. */
export const FLOW_DATA_KEY = "flow";

const FlowDataSchema = z.object({ deadlineMs: z.number().finite(), state: z.unknown() });

/** True for BullMQ's "the job moved to waiting-children" signal, which is neither a failure nor a completion. */
export function isWaitingChildren(err: unknown): boolean {
  return err instanceof WaitingChildrenError || (err as { name?: unknown } | null)?.name === "WaitingChildrenError";
}

export type JobHandler<Q extends QueueName> = (payload: PayloadFor<Q>, io: JobIo) => Promise<JobSummary>;

export interface RunWorkerOptions<Q extends QueueName> {
  queue: Q;
  prefix: string;
  /** An ioredis connection (must have `maxRetriesPerRequest: null`; not closed by the worker) ... */
  connection?: Redis | undefined;
  /** ... or a URL, in which case the worker owns its connections. */
  redisUrl?: string | undefined;
  concurrency?: number | undefined;
  lockDurationMs?: number | undefined;
  stalledIntervalMs?: number | undefined;
  timeoutMs: number;
  shutdownGraceMs: number;
  logger: AppLogger;
  handler: JobHandler<Q>;
  /** SIGTERM/SIGINT close the worker gracefully, then re-raise the signal (default false). */
  installSignalHandlers?: boolean | undefined;
  /** Minimum interval between progress writes to Redis (default 500 ms). */
  progressThrottleMs?: number | undefined;
  /** Called (not awaited) when a job fails and will not be retried: its last attempt, or an unrecoverable error. */
  onFailedForGood?: ((failure: JobFailure) => unknown) | undefined;
  /** This worker's host in the queue's worker registry (`liveWorkers`; default the OS hostname). */
  hostId?: string | undefined;
  /** What this worker advertises in the registry (e.g. `{ build }`: a retrain sends children only to hosts of its build). */
  advertise?: Record<string, string> | undefined;
  /** Registry heartbeat interval (default 10 s). */
  heartbeatMs?: number | undefined;
}

export interface JobFailure {
  queue: QueueName;
  jobId: string;
  jobName: string;
  attempt: number;
  maxAttempts: number;
  error: string;
}

export interface WorkerHandle {
  worker: Worker;
  /** Stops taking jobs, waits up to shutdownGraceMs for running ones, then releases them for retry. */
  close(): Promise<void>;
}

type AbortKind = "timeout" | "cancel" | "shutdown" | "bullmq";

interface RunningJob {
  controller: AbortController;
  kind?: AbortKind;
}

/** "2h", "30min", "1.5s", "200ms": for "timed out after …" messages. */
export function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [3_600_000, "h"],
    [60_000, "min"],
    [1_000, "s"],
  ];
  for (const [size, unit] of units) {
    if (ms >= size) {
      const v = ms / size;
      return `${Number.isInteger(v) ? v : Number(v.toFixed(1))}${unit}`;
    }
  }
  return `${ms}ms`;
}

/** Maps a handler failure to what BullMQ should do: UnrecoverableError = fail now, else retry. */
export function classifyFailure(err: unknown, abortKind: AbortKind | undefined): "unrecoverable" | "release" | "retry" {
  if (abortKind === "shutdown") return "release";
  if (abortKind !== undefined) return "unrecoverable";
  if (err instanceof UnrecoverableError || (err as { name?: unknown } | null)?.name === "UnrecoverableError") return "unrecoverable";
  if ((err as { retryable?: unknown } | null)?.retryable === false) return "unrecoverable";
  return "retry";
}

/**
 * Progress reporter that writes at most once per `intervalMs` (always the latest value, and
 * immediately when the stage changes); write failures are reported to `onError`, never thrown.
 */
export function throttledProgress(
  write: (p: { stage: string; pct: number; detail?: string }) => Promise<unknown>,
  intervalMs: number,
  onError: (err: unknown) => void,
  now: () => number = Date.now,
): { report: ProgressFn; flush: () => Promise<void> } {
  let lastSent = -Infinity;
  let lastStage: string | undefined;
  let pending: { stage: string; pct: number; detail?: string } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let inflight: Promise<void> = Promise.resolve();
  const send = (): void => {
    if (!pending) return;
    const p = pending;
    pending = undefined;
    lastSent = now();
    lastStage = p.stage;
    inflight = inflight.then(() => write(p).then(() => undefined, onError));
  };
  const report: ProgressFn = (p) => {
    const pct = Number.isFinite(p.pct) ? Math.max(0, Math.min(100, p.pct)) : 0;
    pending = p.detail === undefined ? { stage: p.stage, pct } : { stage: p.stage, pct, detail: p.detail };
    if (p.stage !== lastStage || now() - lastSent >= intervalMs) {
      clearTimeout(timer);
      timer = undefined;
      send();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = undefined;
        send();
      }, Math.max(0, intervalMs - (now() - lastSent)));
      timer.unref();
    }
  };
  const flush = async (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    send();
    await inflight;
  };
  return { report, flush };
}

export function runWorker<Q extends QueueName>(options: RunWorkerOptions<Q>): WorkerHandle {
  const { queue, prefix, logger, handler, timeoutMs, shutdownGraceMs } = options;
  if (!options.connection && !options.redisUrl) throw new Error(`runWorker(${queue}): pass connection or redisUrl`);
  const ownsConnection = !options.connection;
  const connection = options.connection ?? createRedisConnection(options.redisUrl!, { role: "worker", logger });
  const exclusiveId: string | undefined = (QUEUE_DEFINITIONS[queue] as { exclusiveId?: string }).exclusiveId;
  const throttleMs = options.progressThrottleMs ?? 500;
  const running = new Map<string, RunningJob>();
  const wlog = logger.child({ queue });

  const abortJob = (jobId: string, kind: AbortKind, message: string): boolean => {
    const r = running.get(jobId);
    if (!r || r.controller.signal.aborted) return false;
    r.kind = kind;
    r.controller.abort(new AbortedError(message, { context: { kind } }));
    return true;
  };

  // Declared with three parameters: BullMQ only creates the per-job signal when processor.length >= 3.
  const processor = async (job: Job, token: string | undefined, bullSignal: AbortSignal | undefined): Promise<JobSummary> => {
    const jobId = job.id ?? "?";
    const log = jobLogger(logger, job, {});
    let payload: PayloadFor<Q>;
    const { [FLOW_DATA_KEY]: rawFlow, ...data } = (job.data ?? {}) as Record<string, unknown>;
    const flow = rawFlow === undefined ? undefined : FlowDataSchema.safeParse(rawFlow);
    try {
      if (flow && !flow.success) throw new PayloadError(`invalid ${queue} job data: its ${FLOW_DATA_KEY} checkpoint is malformed`);
      payload = parsePayload(queue, data);
    } catch (err) {
      const msg = err instanceof PayloadError ? err.message : `invalid ${queue} payload: ${errorMessage(err)}`;
      log.error("rejected job payload", { error: msg });
      throw new UnrecoverableError(msg);
    }

    if (exclusiveId) {
      const holder = await claimExclusive(connection, prefix, queue, exclusiveId, jobId);
      if (holder !== null) {
        const reason = `skipped: another ${queue} is running or queued (job ${holder})`;
        log.warn(reason, { holder });
        return { skipped: true, reason, otherJobId: holder };
      }
    }

    const entry: RunningJob = { controller: new AbortController() };
    running.set(jobId, entry);
    const signal = entry.controller.signal;
    const onBullAbort = (): void => {
      abortJob(jobId, "bullmq", typeof bullSignal?.reason === "string" ? bullSignal.reason : CANCEL_REASON);
    };
    bullSignal?.addEventListener("abort", onBullAbort, { once: true });
    if (bullSignal?.aborted) onBullAbort();
    const deadlineMs = flow?.data?.deadlineMs ?? Date.now() + timeoutMs;
    const onTimeout = (): void => {
      if (abortJob(jobId, "timeout", `timed out after ${formatDuration(timeoutMs)}`)) log.error("job timed out", { timeoutMs });
    };
    const timer = setTimeout(onTimeout, Math.max(0, deadlineMs - Date.now()));
    // A job resumed after its deadline (it waited for children too long) fails before its handler runs.
    if (deadlineMs <= Date.now()) onTimeout();

    const progress = throttledProgress((p) => job.updateProgress(p), throttleMs, (err) =>
      log.debug("progress update failed", { error: errorMessage(err) }),
    );
    const attempt = job.attemptsMade + 1;
    const maxAttempts = Math.max(1, job.opts.attempts ?? 1);
    const checkpoint = async (state: unknown): Promise<void> => {
      const next: Record<string, unknown> = { ...data };
      if (state !== null && state !== undefined) next[FLOW_DATA_KEY] = { deadlineMs, state };
      await job.updateData(next);
    };
    const io: JobIo = {
      jobId,
      attempt,
      maxAttempts,
      finalAttempt: attempt >= maxAttempts,
      queue,
      logger: log,
      progress: progress.report,
      signal,
      job,
      token,
      deadlineMs,
      resumeState: flow?.data?.state,
      checkpoint,
    };
    const started = Date.now();
    log.info("job started", { payload, attempt, maxAttempts });

    // Racing the handler against the signal fails the job on time even when a handler
    // does not check its signal (it keeps running detached until it next awaits something).
    let stopRace: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener("abort", onAbort, { once: true });
      stopRace = () => signal.removeEventListener("abort", onAbort);
    });
    aborted.catch(() => undefined);
    try {
      const summary = await Promise.race([handler(payload, io), aborted]);
      await progress.flush();
      log.info("job completed", { durationMs: Date.now() - started });
      return summary;
    } catch (err) {
      await progress.flush();
      // The handler moved the job to waiting-children (BullMQ's error, or a task's SuspendedError): it runs again when they finish.
      if ((isWaitingChildren(err) || isSuspended(err)) && entry.kind === undefined) {
        log.info("job waiting for its children", { durationMs: Date.now() - started, reason: errorMessage(err) });
        throw isWaitingChildren(err) ? err : new WaitingChildrenError();
      }
      const kind = entry.kind;
      const decision = classifyFailure(err, kind);
      const message = kind !== undefined ? errorMessage(signal.reason) : errorMessage(err);
      if (decision === "release") {
        log.warn("job released for retry: worker shutting down", { durationMs: Date.now() - started });
        try {
          // Back to the queue at once without spending an attempt; another worker picks it up.
          await job.moveToDelayed(Date.now(), token);
        } catch (moveErr) {
          log.warn("could not release job; failing it retryably", { error: errorMessage(moveErr) });
          throw new Error(message);
        }
        throw new DelayedError(message);
      }
      const failure: JobFailure = { queue, jobId, jobName: job.name, attempt, maxAttempts, error: message };
      const reportFinal = (): void => {
        try {
          void Promise.resolve(options.onFailedForGood?.(failure)).catch((hookErr: unknown) => log.warn("failure hook failed", { error: errorMessage(hookErr) }));
        } catch (hookErr) {
          log.warn("failure hook failed", { error: errorMessage(hookErr) });
        }
      };
      if (decision === "unrecoverable") {
        log.error("job failed", { error: message, retry: false, durationMs: Date.now() - started });
        reportFinal();
        throw new UnrecoverableError(message);
      }
      if (attempt >= maxAttempts) reportFinal();
      log.error("job failed, will retry if attempts remain", { error: message, retry: true, durationMs: Date.now() - started });
      throw err instanceof Error ? err : new Error(message);
    } finally {
      stopRace();
      clearTimeout(timer);
      bullSignal?.removeEventListener("abort", onBullAbort);
      running.delete(jobId);
    }
  };

  const worker = new Worker(queue, processor, {
    connection,
    prefix,
    concurrency: options.concurrency ?? 1,
    ...(options.lockDurationMs !== undefined ? { lockDuration: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs !== undefined ? { stalledInterval: options.stalledIntervalMs } : {}),
    autorun: true,
  });
  worker.on("error", (err) => wlog.error("worker error", { error: errorMessage(err) }));
  worker.on("failed", (job, err) => {
    if (err instanceof DelayedError || err.name === "DelayedError") return;
    wlog.debug("job failed event", { jobId: job?.id, error: err.message, attemptsMade: job?.attemptsMade });
  });

  const heartbeat = startWorkerHeartbeat(connection, prefix, queue, {
    host: options.hostId ?? hostname(),
    tags: options.advertise,
    intervalMs: options.heartbeatMs,
    logger: wlog,
  });

  const subscriber = connection.duplicate({ connectionName: `mlq-cancel-${queue}` });
  subscriber.on("error", (err: unknown) => wlog.warn("cancel subscriber error", { error: errorMessage(err) }));
  subscriber.on("message", (_channel: string, raw: string) => {
    const msg = parseCancelMessage(raw);
    if (!msg || msg.queue !== queue) return;
    if (abortJob(msg.jobId, "cancel", msg.reason))
      wlog.warn(msg.reason === CANCEL_REASON ? "job cancelled by operator" : "job stopped", { jobId: msg.jobId, reason: msg.reason });
  });
  subscriber.subscribe(cancelChannel(prefix)).catch((err: unknown) => wlog.error("cannot subscribe to cancel channel", { error: errorMessage(err) }));

  let closing: Promise<void> | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (closing) {
      wlog.warn("second signal: aborting running jobs now", { signal: sig });
      for (const id of running.keys()) abortJob(id, "shutdown", "worker shutting down");
      return;
    }
    wlog.info("shutting down", { signal: sig, graceMs: shutdownGraceMs, running: running.size });
    void close().finally(() => {
      removeSignalHandlers();
      process.kill(process.pid, sig);
    });
  };
  const removeSignalHandlers = (): void => {
    process.removeListener("SIGTERM", onSignal);
    process.removeListener("SIGINT", onSignal);
  };
  if (options.installSignalHandlers) {
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  }

  const close = (): Promise<void> => {
    closing ??= (async () => {
      const grace = setTimeout(() => {
        for (const id of running.keys()) {
          if (abortJob(id, "shutdown", "worker shutting down")) wlog.warn("grace period over: releasing job", { jobId: id, graceMs: shutdownGraceMs });
        }
      }, shutdownGraceMs);
      try {
        await worker.close();
      } finally {
        clearTimeout(grace);
        await heartbeat.stop();
        if (!options.installSignalHandlers) removeSignalHandlers();
        subscriber.disconnect();
        if (ownsConnection) await connection.quit().catch(() => connection.disconnect());
      }
    })();
    return closing;
  };

  return { worker, close };
}
