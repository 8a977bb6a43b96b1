// Content-addressed blobs in Redis, for hosts that share nothing but Redis: a parent publishes bytes once
// (chunked, TTL on every key, meta key last so a reader never sees a half-written blob), children fetch and verify.
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { InputDataError } from "@mlq/core";

/** Chunk size: well below Redis's 512 MB string limit and small enough not to stall the server on one command. */
export const BLOB_CHUNK_BYTES = 4 * 1024 * 1024;

/** Used when Redis has no maxmemory: the blob would otherwise be bounded only by the host's RAM. */
const DEFAULT_CAP_BYTES = 512 * 1024 * 1024;
/** Chunks per pipeline round trip (64 MiB at the default chunk size). */
const CHUNKS_PER_PIPELINE = 16;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface PublishBlobOptions {
  ttlSec: number;
  /** Largest blob accepted; default `blobCapBytes(conn)`. */
  capBytes?: number;
  /** Where `capBytes` comes from, for the error message (default "set by the caller"). */
  capSource?: string;
  /** What the bytes are, for the error message (default "blob"). */
  what?: string;
  /** How to get under the cap, for the error message. */
  hint?: string;
  /** Tests only: a smaller chunk size. */
  chunkBytes?: number;
}

export interface PublishedBlob {
  sha256: string;
  bytes: number;
  chunks: number;
  /** The same bytes were already published: only their TTLs were refreshed. */
  reused: boolean;
}

export interface BlobMeta {
  bytes: number;
  chunks: number;
  sha256: string;
  createdAt: string;
}

export function blobKey(prefix: string, sha256: string): string {
  return `${prefix}:blob:${sha256}`;
}

function chunkKey(prefix: string, sha256: string, index: number): string {
  return `${blobKey(prefix, sha256)}:${index}`;
}

/** `812.0 MiB`, `2.0 GiB`, `17 B`. */
export function formatBytes(n: number): string {
  const units = ["KiB", "MiB", "GiB", "TiB"];
  if (n < 1024) return `${n} B`;
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

function describe(prefix: string, sha256: string): string {
  return `blob ${sha256.slice(0, 12)} under ${prefix}`;
}

function checkSha(prefix: string, sha256: string): void {
  if (!SHA256_HEX.test(sha256))
    throw new InputDataError(`blob id ${JSON.stringify(sha256.slice(0, 80))} under ${prefix} is not a sha256 hex digest`);
}

/**
 * The largest blob worth publishing: ¼ of Redis's maxmemory (read from INFO, which works where CONFIG is
 * disabled), so one retrain's data cannot push a noeviction Redis into refusing BullMQ's own writes.
 */
export async function blobCapBytes(conn: Redis): Promise<{ capBytes: number; source: string }> {
  const info = await conn.info("memory");
  const match = /^maxmemory:(\d+)\s*$/m.exec(info);
  if (!match) return { capBytes: DEFAULT_CAP_BYTES, source: "default; Redis INFO shows no maxmemory" };
  const maxmemory = Number(match[1]);
  if (maxmemory === 0) return { capBytes: DEFAULT_CAP_BYTES, source: "default; Redis has no maxmemory" };
  return { capBytes: Math.floor(maxmemory / 4), source: `¼ of Redis maxmemory ${formatBytes(maxmemory)}` };
}

type PipelineResult = [Error | null, unknown][] | null;

function throwPipelineError(results: PipelineResult, what: string): [Error | null, unknown][] {
  if (!results) throw new Error(`${what}: pipeline was discarded`);
  for (const [err] of results) if (err) throw err;
  return results;
}

async function writeChunks(conn: Redis, prefix: string, sha256: string, buf: Buffer, chunks: number, chunkBytes: number, ttlSec: number) {
  for (let start = 0; start < chunks; start += CHUNKS_PER_PIPELINE) {
    const pipe = conn.pipeline();
    for (let i = start; i < Math.min(chunks, start + CHUNKS_PER_PIPELINE); i++) {
      pipe.set(chunkKey(prefix, sha256, i), buf.subarray(i * chunkBytes, (i + 1) * chunkBytes), "EX", ttlSec);
    }
    throwPipelineError(await pipe.exec(), `writing ${describe(prefix, sha256)}`);
  }
}

/** Refreshes every key's TTL; false when any chunk is gone (it expired just before the meta key). */
async function refreshTtls(conn: Redis, prefix: string, sha256: string, chunks: number, ttlSec: number): Promise<boolean> {
  const pipe = conn.pipeline();
  for (let i = 0; i < chunks; i++) pipe.expire(chunkKey(prefix, sha256, i), ttlSec);
  pipe.expire(blobKey(prefix, sha256), ttlSec);
  const results = throwPipelineError(await pipe.exec(), `refreshing ${describe(prefix, sha256)}`);
  return results.every(([, r]) => r === 1);
}

export async function publishBlob(conn: Redis, prefix: string, bytes: Uint8Array, opts: PublishBlobOptions): Promise<PublishedBlob> {
  const { ttlSec } = opts;
  const chunkBytes = opts.chunkBytes ?? BLOB_CHUNK_BYTES;
  if (!(Number.isInteger(ttlSec) && ttlSec > 0)) throw new RangeError(`publishBlob: ttlSec must be a positive integer, got ${ttlSec}`);
  if (!(Number.isInteger(chunkBytes) && chunkBytes > 0))
    throw new RangeError(`publishBlob: chunkBytes must be a positive integer, got ${chunkBytes}`);

  const cap =
    opts.capBytes !== undefined ? { capBytes: opts.capBytes, source: opts.capSource ?? "set by the caller" } : await blobCapBytes(conn);
  if (bytes.byteLength > cap.capBytes) {
    const hint = opts.hint ?? "shrink the data or raise Redis maxmemory";
    throw new InputDataError(
      `${opts.what ?? "blob"} is ${formatBytes(bytes.byteLength)}, above the blob cap of ${formatBytes(cap.capBytes)} (${cap.source}); ${hint}`,
      { context: { bytes: bytes.byteLength, capBytes: cap.capBytes } },
    );
  }

  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sha256 = createHash("sha256").update(buf).digest("hex");
  const chunks = Math.ceil(buf.byteLength / chunkBytes);
  const key = blobKey(prefix, sha256);

  const existing = await conn.get(key);
  if (existing !== null) {
    const meta = parseMeta(existing);
    if (meta?.bytes === buf.byteLength && meta.chunks === chunks && (await refreshTtls(conn, prefix, sha256, chunks, ttlSec)))
      return { sha256, bytes: buf.byteLength, chunks, reused: true };
  }

  try {
    await writeChunks(conn, prefix, sha256, buf, chunks, chunkBytes, ttlSec);
    const meta: BlobMeta = { bytes: buf.byteLength, chunks, sha256, createdAt: new Date().toISOString() };
    await conn.set(key, JSON.stringify(meta), "EX", ttlSec);
  } catch (err) {
    // A half-written blob (e.g. Redis hit maxmemory) would only hold memory until its TTL.
    await deleteBlob(conn, prefix, sha256).catch(() => undefined);
    throw err;
  }
  return { sha256, bytes: buf.byteLength, chunks, reused: false };
}

function parseMeta(raw: string): BlobMeta | null {
  try {
    const m = JSON.parse(raw) as Partial<BlobMeta> | null;
    if (m && Number.isInteger(m.bytes) && Number.isInteger(m.chunks) && typeof m.sha256 === "string") return m as BlobMeta;
  } catch {
    // fall through
  }
  return null;
}

export async function fetchBlob(conn: Redis, prefix: string, sha256: string): Promise<Buffer> {
  checkSha(prefix, sha256);
  const what = describe(prefix, sha256);
  const raw = await conn.get(blobKey(prefix, sha256));
  if (raw === null) throw new InputDataError(`${what} is expired or deleted: TTL passed or the parent finished`);
  const meta = parseMeta(raw);
  if (!meta || meta.sha256 !== sha256 || meta.bytes < 0 || meta.chunks < 0)
    throw new InputDataError(`${what} is corrupt: unreadable meta key`);

  const parts: Buffer[] = [];
  for (let start = 0; start < meta.chunks; start += CHUNKS_PER_PIPELINE) {
    const pipe = conn.pipeline();
    const end = Math.min(meta.chunks, start + CHUNKS_PER_PIPELINE);
    for (let i = start; i < end; i++) pipe.getBuffer(chunkKey(prefix, sha256, i));
    const results = throwPipelineError(await pipe.exec(), `reading ${what}`);
    results.forEach(([, value], j) => {
      if (value === null) throw new InputDataError(`${what} is missing chunk ${start + j} of ${meta.chunks}: expired, evicted or deleted`);
      parts.push(value as Buffer);
    });
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  if (total !== meta.bytes) throw new InputDataError(`${what} is corrupt: its chunks hold ${total} bytes, ${meta.bytes} expected`);
  const out = Buffer.concat(parts, total);
  const actual = createHash("sha256").update(out).digest("hex");
  if (actual !== sha256) throw new InputDataError(`${what} is corrupt: its bytes hash to ${actual.slice(0, 12)}`);
  return out;
}

/** Deletes the meta key first (readers then see "expired or deleted", never a missing chunk), then the chunks. */
export async function deleteBlob(conn: Redis, prefix: string, sha256: string): Promise<boolean> {
  checkSha(prefix, sha256);
  const key = blobKey(prefix, sha256);
  const raw = await conn.get(key);
  const meta = raw === null ? null : parseMeta(raw);
  let deleted = await conn.unlink(key);
  if (meta) {
    for (let start = 0; start < meta.chunks; start += 500) {
      const keys = Array.from({ length: Math.min(500, meta.chunks - start) }, (_, j) => chunkKey(prefix, sha256, start + j));
      deleted += await conn.unlink(...keys);
    }
  } else {
    // No (readable) meta: an interrupted publish may have left chunks.
    const pattern = `${key.replace(/[*?[\]\\]/g, "\\$&")}:*`;
    let cursor = "0";
    do {
      const [next, keys] = await conn.scan(cursor, "MATCH", pattern, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) deleted += await conn.unlink(...keys);
    } while (cursor !== "0");
  }
  return deleted > 0;
}

/** Seconds left on the blob's meta key; null when it does not exist (-1 when it has no TTL). */
export async function blobTtlSec(conn: Redis, prefix: string, sha256: string): Promise<number | null> {
  const ttl = await conn.ttl(blobKey(prefix, sha256));
  return ttl === -2 ? null : ttl;
}
