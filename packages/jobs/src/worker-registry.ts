// Which worker processes are attached to a queue, without Redis's CLIENT LIST (which BullMQ's
// getWorkers uses and some managed Redis services refuse): every runWorker heartbeats into a sorted
// set `<prefix>:mlq:workers:<queue>` (score: last beat, epoch ms; member: JSON of host, pid, a random
// id and what the process advertises, e.g. the build it trains with). A process that dies stops
// beating and drops out after `WORKER_STALE_MS`; one that closes removes itself at once.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { errorMessage, type Logger } from "@mlq/core";

export const WORKER_HEARTBEAT_MS = 10_000;
/** A worker whose last beat is older than this is not counted (three beats missed, and some slack). */
export const WORKER_STALE_MS = 35_000;

export interface LiveWorker {
  host: string;
  pid: number;
  id: string;
  /** What the process advertised (e.g. `{ build }` for worker-train). */
  tags: Record<string, string>;
  lastSeenMs: number;
}

export function workersKey(prefix: string, queue: string): string {
  return `${prefix}:mlq:workers:${queue}`;
}

export interface HeartbeatOptions {
  host: string;
  tags?: Record<string, string> | undefined;
  intervalMs?: number | undefined;
  logger?: Logger | undefined;
}

/** Beats now and every `intervalMs` (unref'd); `stop()` ends the beats and removes this worker. */
export function startWorkerHeartbeat(conn: Redis, prefix: string, queue: string, o: HeartbeatOptions): { stop(): Promise<void> } {
  const key = workersKey(prefix, queue);
  const member = JSON.stringify({ host: o.host, pid: process.pid, id: randomUUID().slice(0, 8), tags: o.tags ?? {} });
  const interval = o.intervalMs ?? WORKER_HEARTBEAT_MS;
  let failing = false;
  const beat = async (): Promise<void> => {
    try {
      const now = Date.now();
      // The key outlives its last beat by a little, so a queue whose workers all died leaves nothing behind.
      await conn
        .multi()
        .zadd(key, now, member)
        .zremrangebyscore(key, "-inf", now - 4 * WORKER_STALE_MS)
        .pexpire(key, 4 * WORKER_STALE_MS)
        .exec();
      if (failing) o.logger?.info("worker heartbeat restored", { queue });
      failing = false;
    } catch (err) {
      if (!failing) o.logger?.warn("worker heartbeat failed (Redis down?); retrying", { queue, error: errorMessage(err) });
      failing = true;
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), interval);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await conn.zrem(key, member).catch(() => undefined);
    },
  };
}

/** The workers of `queue` that beat within `staleMs`, oldest beat first. */
export async function liveWorkers(
  conn: Redis,
  prefix: string,
  queue: string,
  nowMs = Date.now(),
  staleMs = WORKER_STALE_MS,
): Promise<LiveWorker[]> {
  const raw = await conn.zrangebyscore(workersKey(prefix, queue), nowMs - staleMs, "+inf", "WITHSCORES");
  const out: LiveWorker[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      const m = JSON.parse(raw[i]!) as Partial<LiveWorker>;
      if (typeof m.host !== "string" || typeof m.pid !== "number" || typeof m.id !== "string") continue;
      const tags = m.tags && typeof m.tags === "object" ? (m.tags as Record<string, string>) : {};
      out.push({ host: m.host, pid: m.pid, id: m.id, tags, lastSeenMs: Number(raw[i + 1]) });
    } catch {
      /* not ours */
    }
  }
  return out;
}
