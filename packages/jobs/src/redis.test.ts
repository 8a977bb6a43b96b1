import { describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { checkNoEviction, checkRedis, createRedisConnection, maskRedisUrl, reconnectDelayMs, redisOptionsFor } from "./redis.js";

describe("maskRedisUrl", () => {
  it.each([
    ["redis://:secret@10.0.0.1:6380/2", "redis://:***@10.0.0.1:6380/2"],
    ["redis://user:secret@host:6379", "redis://user:***@host:6379"],
    ["redis://127.0.0.1:6379", "redis://127.0.0.1:6379"],
    ["rediss://:p%40ss@h:1/0", "rediss://:***@h:1/0"],
  ])("%s -> %s", (url, masked) => {
    expect(maskRedisUrl(url)).toBe(masked);
  });
});

describe("reconnectDelayMs", () => {
  it.each([
    [1, 100],
    [2, 200],
    [5, 1600],
    [8, 10_000],
    [1000, 10_000],
  ])("attempt %i waits %i ms", (attempt, ms) => {
    expect(reconnectDelayMs(attempt)).toBe(ms);
  });
});

describe("redisOptionsFor", () => {
  it("gives workers and subscribers maxRetriesPerRequest null and queues a small number", () => {
    expect(redisOptionsFor("worker").maxRetriesPerRequest).toBeNull();
    expect(redisOptionsFor("subscriber").maxRetriesPerRequest).toBeNull();
    expect(redisOptionsFor("queue").maxRetriesPerRequest).toBe(1);
    expect(redisOptionsFor("queue").enableReadyCheck).toBe(true);
  });
});

describe("createRedisConnection", () => {
  it("honours the db index and password-less URL", async () => {
    const conn = createRedisConnection("redis://127.0.0.1:6379/3", { role: "queue" });
    try {
      expect(await conn.ping()).toBe("PONG");
      expect(conn.options.db).toBe(3);
    } finally {
      await conn.quit();
    }
  });
});

describe("checkRedis", () => {
  it("resolves for the local Redis", async () => {
    await expect(checkRedis("redis://127.0.0.1:6379", 2000)).resolves.toBeUndefined();
  });

  it("throws one line naming the masked URL and the reason when nothing listens", async () => {
    await expect(checkRedis("redis://:hunter2@127.0.0.1:1/0", 2000)).rejects.toThrow(
      /^cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0 \(ECONNREFUSED\)$/,
    );
  });
});

describe("checkNoEviction", () => {
  it("returns null on a noeviction Redis and a warning with the fix otherwise", async () => {
    const real = new Redis("redis://127.0.0.1:6379");
    try {
      const policy = ((await real.call("CONFIG", "GET", "maxmemory-policy")) as string[])[1];
      const result = await checkNoEviction(real);
      if (policy === "noeviction") expect(result).toBeNull();
      else expect(result).toContain("maxmemory-policy noeviction");
    } finally {
      await real.quit();
    }
    const fake = { call: () => Promise.resolve(["maxmemory-policy", "allkeys-lru"]) } as unknown as Redis;
    expect(await checkNoEviction(fake)).toMatch(/^Redis maxmemory-policy is "allkeys-lru".*CONFIG SET maxmemory-policy noeviction/);
    const disabled = { call: () => Promise.reject(new Error("ERR unknown command 'CONFIG'")) } as unknown as Redis;
    expect(await checkNoEviction(disabled)).toBeNull();
  });
});
