import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { claimExclusive, deduplicationKey, exclusiveHolder, releaseStaleExclusive } from "./exclusive.js";
import { RedisFixture } from "./test-support.test-util.js";

describe("exclusive slot (real Redis)", () => {
  let fx: RedisFixture;
  beforeEach(() => {
    fx = new RedisFixture();
  });
  afterEach(() => fx.cleanup());

  it("names the BullMQ deduplication key", () => {
    expect(deduplicationKey("{mlq}", "retrain", "retrain")).toBe("{mlq}:retrain:de:retrain");
  });

  it("lets the first claimant in, refuses others while the holder is live, and marks the job's deid", async () => {
    const q = fx.queue("retrain");
    await q.add("retrain", {}, { jobId: "j1" });
    await q.add("retrain", {}, { jobId: "j2" });
    expect(await claimExclusive(fx.conn, fx.prefix, "retrain", "retrain", "j1")).toBeNull();
    expect(await claimExclusive(fx.conn, fx.prefix, "retrain", "retrain", "j1")).toBeNull(); // re-entrant
    expect(await claimExclusive(fx.conn, fx.prefix, "retrain", "retrain", "j2")).toBe("j1");
    expect(await fx.conn.hget(`${fx.prefix}:retrain:j1`, "deid")).toBe("retrain");
    expect(await exclusiveHolder(fx.conn, fx.prefix, "retrain", "retrain")).toBe("j1");
  });

  it("treats a holder that is gone or finished as stale", async () => {
    const key = deduplicationKey(fx.prefix, "retrain", "retrain");
    await fx.conn.set(key, "ghost");
    expect(await exclusiveHolder(fx.conn, fx.prefix, "retrain", "retrain")).toBeNull();
    expect(await releaseStaleExclusive(fx.conn, fx.prefix, "retrain", "retrain")).toBe("ghost");
    expect(await fx.conn.exists(key)).toBe(0);

    // A holder that failed via the stalled checker: hash exists, id in the failed set, key left behind.
    await fx.conn.hset(`${fx.prefix}:retrain:dead`, "name", "retrain");
    await fx.conn.zadd(`${fx.prefix}:retrain:failed`, Date.now(), "dead");
    await fx.conn.set(key, "dead");
    expect(await claimExclusive(fx.conn, fx.prefix, "retrain", "retrain", "fresh")).toBeNull();
    expect(await fx.conn.get(key)).toBe("fresh");
    expect(await releaseStaleExclusive(fx.conn, fx.prefix, "retrain", "retrain")).toBe("fresh"); // 'fresh' has no hash
  });
});
