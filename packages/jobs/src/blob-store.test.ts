import { createHash, randomBytes } from "node:crypto";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { InputDataError } from "@mlq/core";
import { BLOB_CHUNK_BYTES, blobCapBytes, blobKey, blobTtlSec, deleteBlob, fetchBlob, formatBytes, publishBlob } from "./blob-store.js";
import { deleteKeysWithPrefix } from "./redis.js";
import { uniquePrefix } from "./test-support.test-util.js";

const conn = new Redis(process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379");
const prefix = uniquePrefix();
const MiB = 1024 * 1024;

afterAll(async () => {
  await deleteKeysWithPrefix(conn, prefix);
  await conn.quit();
});

function sha(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function keysOf(sha256: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await conn.scan(cursor, "MATCH", `${blobKey(prefix, sha256)}*`, "COUNT", 500);
    cursor = next;
    found.push(...keys);
  } while (cursor !== "0");
  return found.sort();
}

describe("publishBlob / fetchBlob", () => {
  it("round-trips a 9 MiB random buffer in 3 chunks with the TTL on every key", async () => {
    const bytes = randomBytes(9 * MiB);
    const published = await publishBlob(conn, prefix, bytes, { ttlSec: 600 });
    expect(published).toEqual({ sha256: sha(bytes), bytes: 9 * MiB, chunks: 3, reused: false });
    expect(BLOB_CHUNK_BYTES).toBe(4 * MiB);

    const keys = await keysOf(published.sha256);
    expect(keys).toEqual(
      [0, 1, 2]
        .map((i) => `${blobKey(prefix, published.sha256)}:${i}`)
        .concat(blobKey(prefix, published.sha256))
        .sort(),
    );
    for (const key of keys) {
      const ttl = await conn.ttl(key);
      expect(ttl, key).toBeGreaterThan(590);
      expect(ttl, key).toBeLessThanOrEqual(600);
    }
    expect(await conn.strlen(`${blobKey(prefix, published.sha256)}:2`)).toBe(1 * MiB);
    const meta = JSON.parse((await conn.get(blobKey(prefix, published.sha256)))!) as Record<string, unknown>;
    expect(meta).toMatchObject({ bytes: 9 * MiB, chunks: 3, sha256: published.sha256 });
    expect(typeof meta["createdAt"]).toBe("string");

    const fetched = await fetchBlob(conn, prefix, published.sha256);
    expect(fetched.equals(bytes)).toBe(true);
  });

  it("reuses the same bytes: refreshes the TTLs instead of writing them again", async () => {
    const bytes = randomBytes(10_000);
    const first = await publishBlob(conn, prefix, bytes, { ttlSec: 30, chunkBytes: 4096 });
    expect(first).toMatchObject({ chunks: 3, reused: false });
    const second = await publishBlob(conn, prefix, Uint8Array.from(bytes), { ttlSec: 900, chunkBytes: 4096 });
    expect(second).toEqual({ ...first, reused: true });
    for (const key of await keysOf(first.sha256)) expect(await conn.ttl(key), key).toBeGreaterThan(800);
    expect(await blobTtlSec(conn, prefix, first.sha256)).toBeGreaterThan(800);
    expect((await fetchBlob(conn, prefix, first.sha256)).equals(bytes)).toBe(true);
  });

  it("writes the blob again when a chunk vanished behind a live meta key", async () => {
    const bytes = randomBytes(9000);
    const first = await publishBlob(conn, prefix, bytes, { ttlSec: 60, chunkBytes: 4096 });
    await conn.del(`${blobKey(prefix, first.sha256)}:1`);
    const second = await publishBlob(conn, prefix, bytes, { ttlSec: 60, chunkBytes: 4096 });
    expect(second.reused).toBe(false);
    expect((await fetchBlob(conn, prefix, first.sha256)).equals(bytes)).toBe(true);
  });

  it("publishes and fetches an empty blob", async () => {
    const published = await publishBlob(conn, prefix, new Uint8Array(0), { ttlSec: 60 });
    expect(published.chunks).toBe(0);
    expect((await fetchBlob(conn, prefix, published.sha256)).byteLength).toBe(0);
  });

  it("round-trips any byte array (small chunks)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 50_000 }), fc.integer({ min: 1, max: 20_000 }), async (bytes, chunkBytes) => {
        const published = await publishBlob(conn, prefix, bytes, { ttlSec: 60, chunkBytes });
        expect(published.chunks).toBe(Math.ceil(bytes.byteLength / chunkBytes));
        const fetched = await fetchBlob(conn, prefix, published.sha256);
        expect(Buffer.compare(fetched, Buffer.from(bytes))).toBe(0);
        await deleteBlob(conn, prefix, published.sha256);
      }),
      { numRuns: 40 },
    );
  });

  it("refuses a blob above the cap with one line naming the size, the cap and its source", async () => {
    const bytes = new Uint8Array(3 * MiB + 512 * 1024);
    const attempt = publishBlob(conn, prefix, bytes, {
      ttlSec: 60,
      capBytes: 2 * MiB,
      capSource: "¼ of Redis maxmemory 8.0 MiB",
      what: "candidate data",
      hint: "shrink the search (MLQ_RETRAIN_MAX_ROWS / fewer rows) or raise maxmemory",
    });
    await expect(attempt).rejects.toBeInstanceOf(InputDataError);
    await expect(attempt).rejects.toThrow(
      /^candidate data is 3\.5 MiB, above the blob cap of 2\.0 MiB \(¼ of Redis maxmemory 8\.0 MiB\); shrink the search \(MLQ_RETRAIN_MAX_ROWS \/ fewer rows\) or raise maxmemory$/,
    );
    expect(await keysOf(sha(bytes))).toEqual([]);
  });
});

describe("fetchBlob errors", () => {
  it("reports a missing blob as expired or deleted, naming its short sha and the prefix", async () => {
    const missing = sha(randomBytes(16));
    const attempt = fetchBlob(conn, prefix, missing);
    await expect(attempt).rejects.toBeInstanceOf(InputDataError);
    await expect(attempt).rejects.toThrow(
      `blob ${missing.slice(0, 12)} under ${prefix} is expired or deleted: TTL passed or the parent finished`,
    );
  });

  it("reports an overwritten chunk as corrupt", async () => {
    const bytes = randomBytes(10_000);
    const { sha256 } = await publishBlob(conn, prefix, bytes, { ttlSec: 60, chunkBytes: 4096 });
    await conn.set(`${blobKey(prefix, sha256)}:1`, randomBytes(4096), "KEEPTTL");
    await expect(fetchBlob(conn, prefix, sha256)).rejects.toThrow(
      new RegExp(`^blob ${sha256.slice(0, 12)} under .* is corrupt: its bytes hash to [0-9a-f]{12}$`),
    );
  });

  it("reports a chunk of the wrong length as corrupt", async () => {
    const bytes = randomBytes(10_000);
    const { sha256 } = await publishBlob(conn, prefix, bytes, { ttlSec: 60, chunkBytes: 4096 });
    await conn.set(`${blobKey(prefix, sha256)}:2`, randomBytes(100), "KEEPTTL");
    await expect(fetchBlob(conn, prefix, sha256)).rejects.toThrow(`is corrupt: its chunks hold 8292 bytes, 10000 expected`);
  });

  it("reports a missing chunk by index", async () => {
    const bytes = randomBytes(10_000);
    const { sha256 } = await publishBlob(conn, prefix, bytes, { ttlSec: 60, chunkBytes: 4096 });
    await conn.del(`${blobKey(prefix, sha256)}:1`);
    const attempt = fetchBlob(conn, prefix, sha256);
    await expect(attempt).rejects.toBeInstanceOf(InputDataError);
    await expect(attempt).rejects.toThrow(
      `blob ${sha256.slice(0, 12)} under ${prefix} is missing chunk 1 of 3: expired, evicted or deleted`,
    );
  });

  it("rejects an id that is not a sha256 digest", async () => {
    await expect(fetchBlob(conn, prefix, "abc")).rejects.toThrow(/is not a sha256 hex digest/);
  });
});

describe("deleteBlob / blobTtlSec", () => {
  it("deletes the meta key and every chunk", async () => {
    const bytes = randomBytes(10_000);
    const { sha256 } = await publishBlob(conn, prefix, bytes, { ttlSec: 60, chunkBytes: 4096 });
    expect(await keysOf(sha256)).toHaveLength(4);
    expect(await deleteBlob(conn, prefix, sha256)).toBe(true);
    expect(await keysOf(sha256)).toEqual([]);
    expect(await blobTtlSec(conn, prefix, sha256)).toBeNull();
    expect(await deleteBlob(conn, prefix, sha256)).toBe(false);
    await expect(fetchBlob(conn, prefix, sha256)).rejects.toThrow(/expired or deleted/);
  });

  it("deletes the chunks an interrupted publish left without a meta key", async () => {
    const bytes = randomBytes(10_000);
    const { sha256 } = await publishBlob(conn, prefix, bytes, { ttlSec: 60, chunkBytes: 4096 });
    await conn.del(blobKey(prefix, sha256));
    expect(await deleteBlob(conn, prefix, sha256)).toBe(true);
    expect(await keysOf(sha256)).toEqual([]);
  });
});

describe("blobCapBytes", () => {
  it("is a quarter of maxmemory, or 512 MiB when Redis has no limit", async () => {
    const info = await conn.info("memory");
    const maxmemory = Number(/^maxmemory:(\d+)/m.exec(info)?.[1]);
    const cap = await blobCapBytes(conn);
    if (maxmemory === 0) expect(cap).toEqual({ capBytes: 512 * MiB, source: "default; Redis has no maxmemory" });
    else expect(cap.capBytes).toBe(Math.floor(maxmemory / 4));

    const fake = (text: string) => ({ info: () => Promise.resolve(text) }) as unknown as Redis;
    expect(await blobCapBytes(fake("# Memory\r\nused_memory:1000\r\nmaxmemory:2147483648\r\nmaxmemory_human:2.00G\r\n"))).toEqual({
      capBytes: 512 * MiB,
      source: "¼ of Redis maxmemory 2.0 GiB",
    });
    expect(await blobCapBytes(fake("# Memory\r\nmaxmemory:0\r\n"))).toEqual({
      capBytes: 512 * MiB,
      source: "default; Redis has no maxmemory",
    });
    expect((await blobCapBytes(fake("# Memory\r\n"))).capBytes).toBe(512 * MiB);
  });
});

describe("formatBytes", () => {
  it.each([
    [17, "17 B"],
    [1536, "1.5 KiB"],
    [812 * MiB, "812.0 MiB"],
    [2 * 1024 * MiB, "2.0 GiB"],
  ])("%i -> %s", (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});
