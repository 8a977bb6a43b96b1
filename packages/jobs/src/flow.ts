// A job that fans work out as BullMQ child jobs and waits for them (issue 18: the retrain's search).
// BullMQ 6.7 semantics relied on (read in its Lua: moveToFinished, moveChildFromDependenciesIfNeeded,
// removeParentDependencyKey, moveToWaitingChildren):
// - children carry `continueParentOnFailure`: a child that fails for good leaves the parent's
//   dependencies, its reason lands in the parent's failed hash (`getIgnoredChildrenFailures`), and a
//   parent waiting for children is moved to wait at once, so its processor always runs again;
// - removing a waiting child (`removeUnprocessedChildren`, which skips locked ones) drops it from the
//   dependencies and moves the parent to wait when it was the last; running children are stopped over
//   the cancel channel and then fail, which also wakes the parent;
// - a child that stalls past maxStalledCount is failed through moveToFinished, so the same holds.
import type { Job, JobsOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { CANCEL_REASON, cancelChannel, type CancelMessage } from "./cancel.js";

/** The key BullMQ uses for a job (and in a parent's processed / failed hashes). */
export function childJobKey(prefix: string, queue: string, id: string): string {
  return `${prefix}:${queue}:${id}`;
}

/** Set by `mlq cancel` on a job waiting for its children: the job's next pass ends as cancelled. */
export function flowCancelKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:mlq:flow-cancel:${queue}:${jobId}`;
}

/** The cancel reason recorded for a waiting job, or null. */
export async function flowCancelReason(conn: Redis, prefix: string, queue: string, jobId: string): Promise<string | null> {
  return conn.get(flowCancelKey(prefix, queue, jobId));
}

export async function markFlowCancelled(conn: Redis, prefix: string, queue: string, jobId: string, reason = CANCEL_REASON): Promise<void> {
  await conn.set(flowCancelKey(prefix, queue, jobId), reason, "EX", 7 * 86_400);
}

export async function clearFlowCancel(conn: Redis, prefix: string, queue: string, jobId: string): Promise<void> {
  await conn.del(flowCancelKey(prefix, queue, jobId));
}

export interface ChildrenState<T> {
  /** Children that completed, with their return values. */
  done: Map<string, T>;
  /** Children that failed for good, with their reasons. */
  failed: Map<string, string>;
  /** Children that exist and have not finished (waiting, delayed for a retry, or running). */
  pending: Set<string>;
  /** Children that do not exist (never added, removed, or expired): to be added. */
  missing: Set<string>;
}

/** Where each of `ids` (children of `parent` on `childQueue`) stands. */
export async function readChildren<T>(
  conn: Redis,
  prefix: string,
  childQueue: string,
  parent: Job,
  ids: readonly string[],
): Promise<ChildrenState<T>> {
  const [rawValues, rawFailures] = await Promise.all([parent.getChildrenValues<T>(), parent.getIgnoredChildrenFailures()]);
  const values = rawValues ?? {};
  const failures = rawFailures ?? {};
  const state: ChildrenState<T> = { done: new Map(), failed: new Map(), pending: new Set(), missing: new Set() };
  const unknown: string[] = [];
  for (const id of ids) {
    const key = childJobKey(prefix, childQueue, id);
    if (key in values) state.done.set(id, values[key] as T);
    else if (key in failures) state.failed.set(id, failures[key]!);
    else unknown.push(id);
  }
  if (unknown.length > 0) {
    const pipeline = conn.pipeline();
    for (const id of unknown) pipeline.exists(childJobKey(prefix, childQueue, id));
    const replies = (await pipeline.exec()) ?? [];
    unknown.forEach((id, i) => (replies[i]?.[1] === 1 ? state.pending : state.missing).add(id));
  }
  return state;
}

/** Adds children to `parent` (ids are deterministic: adding an existing one is a no-op). */
export async function addChildren(
  queue: Queue,
  parent: Job,
  children: readonly { id: string; name: string; data: Record<string, unknown> }[],
  opts: Omit<JobsOptions, "jobId" | "parent">,
): Promise<void> {
  if (children.length === 0) return;
  if (!parent.id) throw new Error("addChildren: the parent job has no id");
  await queue.addBulk(
    children.map((c) => ({
      name: c.name,
      data: c.data,
      opts: { ...opts, jobId: c.id, parent: { id: parent.id!, queue: parent.queueQualifiedName }, continueParentOnFailure: true },
    })),
  );
}

/**
 * Stops a parent's unfinished children: waiting ones are removed, running ones are told to abort
 * with `reason` (they then fail with it, so a child stopped because its parent failed or timed out
 * does not read as an operator's cancel). Returns how many were removed and how many signalled.
 */
export async function stopChildren(
  conn: Redis,
  prefix: string,
  parent: Job,
  reason: string = CANCEL_REASON,
): Promise<{ removed: number; signalled: number }> {
  const before = await parent.getDependencies({ unprocessed: { count: 10_000 } });
  await parent.removeUnprocessedChildren();
  const after = await parent.getDependencies({ unprocessed: { count: 10_000 } });
  const remaining = after.unprocessed ?? [];
  for (const key of remaining) {
    const parsed = parseJobKey(prefix, key);
    if (!parsed) continue;
    const message: CancelMessage = { queue: parsed.queue, jobId: parsed.id, reason };
    await conn.publish(cancelChannel(prefix), JSON.stringify(message));
  }
  return { removed: Math.max(0, (before.unprocessed?.length ?? 0) - remaining.length), signalled: remaining.length };
}

/** The reason a running child gets when its parent stops it for any cause but an operator's cancel. */
export function parentStoppedReason(parentId: string, why: string): string {
  return `stopped by its parent ${parentId}: ${why}`;
}

/** `<prefix>:<queue>:<id>` → its queue and id (null for a key of another prefix). */
export function parseJobKey(prefix: string, key: string): { queue: string; id: string } | null {
  if (!key.startsWith(`${prefix}:`)) return null;
  const rest = key.slice(prefix.length + 1);
  const i = rest.indexOf(":");
  return i <= 0 ? null : { queue: rest.slice(0, i), id: rest.slice(i + 1) };
}

/** Counts of a parent's children by state (for a progress line and /metrics). */
export async function childrenCounts(parent: Job): Promise<{ processed: number; unprocessed: number; failed: number; ignored: number }> {
  const c = await parent.getDependenciesCount();
  return { processed: c.processed ?? 0, unprocessed: c.unprocessed ?? 0, failed: c.failed ?? 0, ignored: c.ignored ?? 0 };
}
