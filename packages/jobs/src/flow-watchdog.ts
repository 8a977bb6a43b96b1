// One timeout for a job that waits for its children. While a parent waits no processor runs, so its
// own timer cannot fire: a parent whose deadline (saved with its checkpoint) passes while it waits —
// every training host gone, a child stuck — is woken here. The watchdog marks it as timed out and
// stops its children; removing the last pending child moves the parent to wait, its processor runs,
// reads the mark and ends the run as timed out (closing its audit row, deleting its data).
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { errorMessage, type Logger } from "@mlq/core";
import { flowCancelReason, markFlowCancelled, parentStoppedReason, stopChildren } from "./flow.js";
import { FLOW_DATA_KEY, formatDuration } from "./run-worker.js";
import type { QueueName } from "./catalog.js";

export interface FlowWatchdogOptions {
  connection: Redis;
  prefix: string;
  queue: QueueName;
  /** The queue's timeout, for the message. */
  timeoutMs: number;
  logger: Logger;
  /** How often to look (default 30 s). */
  everyMs?: number;
  now?: () => number;
}

/** Wakes the queue's parents waiting past their deadline; returns their ids. */
export async function wakeOverdueParents(o: Omit<FlowWatchdogOptions, "everyMs">): Promise<string[]> {
  const now = (o.now ?? Date.now)();
  const queue = new Queue(o.queue, { connection: o.connection, prefix: o.prefix });
  try {
    const woken: string[] = [];
    for (const job of await queue.getJobs(["waiting-children"], 0, 200)) {
      const flow = (job.data as Record<string, unknown> | undefined)?.[FLOW_DATA_KEY] as { deadlineMs?: unknown } | undefined;
      const deadline = typeof flow?.deadlineMs === "number" ? flow.deadlineMs : null;
      if (!job.id || deadline === null || deadline > now) continue;
      // Marked already (by an earlier round or a cancel): stop again what is left, e.g. a child whose lock
      // has since expired on a host that died (removing skips locked children).
      const marked = (await flowCancelReason(o.connection, o.prefix, o.queue, job.id)) !== null;
      const why = `timed out after ${formatDuration(o.timeoutMs)} (still waiting for its children)`;
      if (!marked) await markFlowCancelled(o.connection, o.prefix, o.queue, job.id, why);
      const stopped = await stopChildren(o.connection, o.prefix, job, parentStoppedReason(job.id, why));
      if (!marked)
        o.logger.warn("woke a job waiting for its children past its deadline", { jobId: job.id, deadlineMs: deadline, ...stopped });
      woken.push(job.id);
    }
    return woken;
  } finally {
    await queue.close();
  }
}

/** Runs `wakeOverdueParents` every `everyMs` until stopped (errors are logged, never thrown). */
export function startFlowWatchdog(o: FlowWatchdogOptions): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    wakeOverdueParents(o)
      .catch((err: unknown) => o.logger.warn("flow watchdog failed", { error: errorMessage(err) }))
      .finally(() => (running = false));
  }, o.everyMs ?? 30_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
