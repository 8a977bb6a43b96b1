// "One retrain at a time" across processes and hosts, on top of BullMQ's deduplication key
// `<prefix>:<queue>:de:<id>` (value: the id of the job holding it).
//
// - Ad-hoc jobs are added with `deduplication: { id }`: while the holder exists (waiting, delayed
//   for a retry, or active) BullMQ returns the holder's id instead of adding a job.
// - Job-scheduler templates cannot carry `deduplication` in BullMQ 6, so a scheduled job claims the
//   key when it starts (`claimExclusive`); if another live job holds it, the scheduled job is skipped.
//   Claiming also stores `deid` on the job hash, so BullMQ deletes the key when that job finishes
//   or is removed, exactly as for an ad-hoc job.
// - A key left behind by a job that failed through the stalled checker (which does not clear it)
//   is released by `releaseStaleExclusive` before every ad-hoc add.
import type { Redis } from "ioredis";

export function queueKeyPrefix(prefix: string, queue: string): string {
  return `${prefix}:${queue}:`;
}

export function deduplicationKey(prefix: string, queue: string, dedupId: string): string {
  return `${queueKeyPrefix(prefix, queue)}de:${dedupId}`;
}

// A holder is live when its hash exists and it is in neither finished set.
const LIVE_HOLDER = `
local function isLive(qp, holder)
  if redis.call('EXISTS', qp .. holder) == 0 then return false end
  if redis.call('ZSCORE', qp .. 'completed', holder) then return false end
  if redis.call('ZSCORE', qp .. 'failed', holder) then return false end
  return true
end
`;

// KEYS[1] dedup key; ARGV: jobId, queue key prefix, dedup id. Returns the live holder's id or false.
const CLAIM = `${LIVE_HOLDER}
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] and isLive(ARGV[2], holder) then return holder end
redis.call('SET', KEYS[1], ARGV[1])
if redis.call('EXISTS', ARGV[2] .. ARGV[1]) == 1 then redis.call('HSET', ARGV[2] .. ARGV[1], 'deid', ARGV[3]) end
return false
`;

// KEYS[1] dedup key; ARGV: queue key prefix. Deletes the key when its holder is gone or finished.
const RELEASE_STALE = `${LIVE_HOLDER}
local holder = redis.call('GET', KEYS[1])
if holder and not isLive(ARGV[1], holder) then redis.call('DEL', KEYS[1]) return holder end
return false
`;

// KEYS[1] dedup key; ARGV: queue key prefix. The live holder or false.
const HOLDER = `${LIVE_HOLDER}
local holder = redis.call('GET', KEYS[1])
if holder and isLive(ARGV[1], holder) then return holder end
return false
`;

async function evalScript(conn: Redis, script: string, key: string, args: string[]): Promise<string | null> {
  const reply = (await conn.eval(script, 1, key, ...args)) as unknown;
  return typeof reply === "string" ? reply : null;
}

/** Claims the queue's exclusive slot for `jobId`; returns null on success or the live holder's id. */
export function claimExclusive(conn: Redis, prefix: string, queue: string, dedupId: string, jobId: string): Promise<string | null> {
  return evalScript(conn, CLAIM, deduplicationKey(prefix, queue, dedupId), [jobId, queueKeyPrefix(prefix, queue), dedupId]);
}

/** Deletes a slot whose holder no longer exists or already finished; returns that holder's id. */
export function releaseStaleExclusive(conn: Redis, prefix: string, queue: string, dedupId: string): Promise<string | null> {
  return evalScript(conn, RELEASE_STALE, deduplicationKey(prefix, queue, dedupId), [queueKeyPrefix(prefix, queue)]);
}

/** The id of the live job holding the slot, or null. */
export function exclusiveHolder(conn: Redis, prefix: string, queue: string, dedupId: string): Promise<string | null> {
  return evalScript(conn, HOLDER, deduplicationKey(prefix, queue, dedupId), [queueKeyPrefix(prefix, queue)]);
}
