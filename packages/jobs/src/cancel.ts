// Cancelling a job from any host. BullMQ's `worker.cancelJob` only reaches jobs of the same
// Worker object, so active jobs are signalled over a pub/sub channel that every runWorker
// subscribes to; waiting and delayed jobs are simply removed (BullMQ cannot move a job that no
// worker holds to "failed"), and every cancel is appended to a capped audit list in Redis.
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { QueueName } from "./catalog.js";
import { markFlowCancelled, stopChildren } from "./flow.js";

export type CancelOutcome = "cancelled-waiting" | "cancelled-waiting-children" | "signalled-active" | "not-found" | "already-finished";

export const CANCEL_REASON = "cancelled by operator";
/** How many cancel records `<prefix>:mlq:cancellations` keeps. */
export const CANCEL_AUDIT_LENGTH = 200;

export function cancelChannel(prefix: string): string {
  return `${prefix}:mlq:cancel`;
}

export function cancelAuditKey(prefix: string): string {
  return `${prefix}:mlq:cancellations`;
}

export interface CancelMessage {
  queue: string;
  jobId: string;
  reason: string;
}

export function parseCancelMessage(raw: string): CancelMessage | null {
  try {
    const m = JSON.parse(raw) as Partial<CancelMessage>;
    if (typeof m.queue === "string" && typeof m.jobId === "string") {
      return { queue: m.queue, jobId: m.jobId, reason: typeof m.reason === "string" ? m.reason : CANCEL_REASON };
    }
  } catch {
    /* not ours */
  }
  return null;
}

export interface CancelRecord {
  queue: string;
  jobId: string;
  outcome: CancelOutcome;
  previousState: string;
  at: string;
  name?: string | undefined;
  data?: unknown;
  requestedBy?: string | undefined;
}

const WAITING_STATES = new Set(["waiting", "delayed", "prioritized", "paused", "wait"]);

/**
 * Cancels `jobId` of `queue`. Waiting/delayed jobs are removed ("cancelled-waiting"); an active
 * job's worker is told to abort it with "cancelled by operator", and the job then fails without
 * retry ("signalled-active"). `connection` is used for commands only (never closed here).
 */
export async function requestCancel(
  connection: Redis,
  prefix: string,
  queue: QueueName | string,
  jobId: string,
  options: { requestedBy?: string | undefined } = {},
): Promise<CancelOutcome> {
  const q = new Queue(queue, { connection, prefix });
  try {
    const job = await q.getJob(jobId);
    if (!job) return "not-found";
    const state = await job.getState();
    if (state === "completed" || state === "failed") return "already-finished";
    if (state === "unknown") return "not-found";

    const audit = async (outcome: CancelOutcome): Promise<CancelOutcome> => {
      const record: CancelRecord = {
        queue,
        jobId,
        outcome,
        previousState: state,
        at: new Date().toISOString(),
        name: job.name,
        data: job.data as unknown,
        requestedBy: options.requestedBy,
      };
      await connection
        .multi()
        .lpush(cancelAuditKey(prefix), JSON.stringify(record))
        .ltrim(cancelAuditKey(prefix), 0, CANCEL_AUDIT_LENGTH - 1)
        .exec();
      return outcome;
    };

    // A job waiting for its children (a retrain's search) is not removed: its processor must run once
    // more to close its run row and delete its data. The mark makes that pass end as cancelled; removing
    // the waiting children and stopping the running ones wakes it.
    if (state === "waiting-children") {
      await markFlowCancelled(connection, prefix, queue, jobId);
      await stopChildren(connection, prefix, job);
      return await audit("cancelled-waiting-children");
    }
    if (WAITING_STATES.has(state)) {
      try {
        await job.remove();
        return await audit("cancelled-waiting");
      } catch {
        // It became active between getState and remove (remove refuses locked jobs): signal it.
      }
    }
    const message: CancelMessage = { queue, jobId, reason: CANCEL_REASON };
    await connection.publish(cancelChannel(prefix), JSON.stringify(message));
    return await audit("signalled-active");
  } finally {
    await q.close();
  }
}

/** The most recent cancel records, newest first. */
export async function recentCancellations(connection: Redis, prefix: string, limit = 20): Promise<CancelRecord[]> {
  const rows = await connection.lrange(cancelAuditKey(prefix), 0, Math.max(0, limit - 1));
  return rows.flatMap((r) => {
    try {
      return [JSON.parse(r) as CancelRecord];
    } catch {
      return [];
    }
  });
}
