// What `mlq retrain` shows of a search that runs as a flow: while the retrain waits for its
// children on the train queue, one line per change (`search: 7/10 candidates done (2 training,
// 1 waiting) on the train queue`); when it is done, where the candidates trained.
import { childrenByState, type Producer } from "@mlq/jobs";

// BullMQ's types as @mlq/jobs hands them out (the CLI does not depend on bullmq itself).
type Queue = Producer["queues"]["train"];
type Job = NonNullable<Awaited<ReturnType<Queue["getJob"]>>>;

export interface SearchChildrenCounts {
  total: number;
  done: number;
  failed: number;
  training: number;
  waiting: number;
  /** Waiting for a retry after a failed attempt. */
  delayed: number;
}

export function searchProgressLine(c: SearchChildrenCounts): string {
  const parts = [
    c.training > 0 && `${c.training} training`,
    c.waiting > 0 && `${c.waiting} waiting`,
    c.delayed > 0 && `${c.delayed} retrying`,
    c.failed > 0 && `${c.failed} failed`,
  ].filter(Boolean);
  return `search: ${c.done}/${c.total} candidates done${parts.length ? ` (${parts.join(", ")})` : ""} on the train queue`;
}

/** `search: trainer flow, hosts a, b` (hosts sorted; none known: the trainer alone). */
export function searchTrainerLine(trainer: string, hosts: readonly string[]): string {
  const unique = [...new Set(hosts)].sort();
  return `search: trainer ${trainer}${unique.length ? `, host${unique.length > 1 ? "s" : ""} ${unique.join(", ")}` : ""}`;
}

/** A parent's children by state, in the progress line's words. */
export async function searchChildrenCounts(parent: Job, childQueue: Queue, prefix: string): Promise<SearchChildrenCounts> {
  const c = await childrenByState(parent, childQueue, prefix);
  return { total: c.total, done: c.completed, failed: c.failed, training: c.active, waiting: c.waiting, delayed: c.delayed };
}

export interface SearchWatch {
  stop(): Promise<void>;
}

/**
 * Polls a queued retrain every `pollMs` and writes the progress line each time it changes, while
 * the job has children. Errors of one poll are skipped (the next one tries again).
 */
export function watchSearch(o: {
  retrain: Queue;
  train: Queue;
  prefix: string;
  jobId: string;
  write: (line: string) => void;
  pollMs?: number;
}): SearchWatch {
  let stopped = false;
  let last = "";
  let wake: (() => void) | undefined;
  const poll = async (): Promise<void> => {
    try {
      const job = await o.retrain.getJob(o.jobId);
      if (!job) return;
      const counts = await searchChildrenCounts(job, o.train, o.prefix);
      const line = counts.total > 0 ? searchProgressLine(counts) : "";
      if (line && line !== last) {
        o.write(line);
        last = line;
      }
    } catch {
      /* the next poll tries again */
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await poll();
      if (stopped) break;
      await new Promise<void>((r) => {
        const t = setTimeout(r, o.pollMs ?? 500);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  })();
  return {
    // One last look, so the line that ends the wait (10/10 done) is shown even between two polls.
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      await poll();
    },
  };
}

/** The hosts that trained a finished flow's children (from their return values, kept with the parent). */
export async function childHosts(parent: Job): Promise<string[]> {
  const values = (await parent.getChildrenValues<{ host?: unknown }>()) ?? {};
  return [
    ...new Set(
      Object.values(values)
        .map((v) => (typeof v?.host === "string" ? v.host : ""))
        .filter(Boolean),
    ),
  ].sort();
}
