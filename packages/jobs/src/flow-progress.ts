// Where a parent's children stand, by BullMQ state: `mlq retrain`'s progress line and the
// dashboard's /metrics read the same counts (issue 18: the retrain's search on the train queue).
import type { Job, Queue } from "bullmq";
import { childrenCounts, parseJobKey } from "./flow.js";

export interface ChildrenByState {
  total: number;
  completed: number;
  /** Failed for good (a failed attempt that will be retried is `delayed`). */
  failed: number;
  active: number;
  /** Waiting (or prioritized) for a worker. */
  waiting: number;
  /** Waiting for a retry after a failed attempt. */
  delayed: number;
}

/** `parent`'s children by state: BullMQ's dependency counts, the unfinished ones looked up on `childQueue`. */
export async function childrenByState(parent: Job, childQueue: Queue, prefix: string): Promise<ChildrenByState> {
  const counts = await childrenCounts(parent);
  const c: ChildrenByState = {
    total: counts.processed + counts.unprocessed + counts.failed + counts.ignored,
    completed: counts.processed,
    failed: counts.failed + counts.ignored,
    active: 0,
    waiting: 0,
    delayed: 0,
  };
  if (counts.unprocessed === 0) return c;
  const deps = await parent.getDependencies({ unprocessed: { count: 10_000 } });
  const ids = (deps.unprocessed ?? [])
    .map((k) => parseJobKey(prefix, k))
    .filter((p) => p?.queue === childQueue.name)
    .map((p) => p!.id);
  const states = await Promise.all(ids.map((id) => childQueue.getJobState(id)));
  for (const s of states) {
    if (s === "active") c.active++;
    else if (s === "delayed") c.delayed++;
    else if (s === "failed") c.failed++;
    else if (s === "completed") c.completed++;
    else c.waiting++;
  }
  return c;
}
