// The queue's worker registry on the real Redis: heartbeats in, stale ones out, closed ones gone,
// and runWorker registering itself with its host and what it advertises.
import { describe, expect, it } from "vitest";
import { createLogger } from "@mlq/logger";
import { liveWorkers, startWorkerHeartbeat, workersKey, WORKER_STALE_MS } from "./worker-registry.js";
import type { RedisFixture } from "./test-support.test-util.js";
import { startTestWorker, waitFor, useRedisWorkers } from "./test-support.test-util.js";
import type { WorkerHandle } from "./run-worker.js";

const logger = createLogger({ name: "registry-test", console: false });

describe("worker registry (real Redis)", () => {
  let fx!: RedisFixture;
  const handles: WorkerHandle[] = [];
  useRedisWorkers((f) => (fx = f), handles);

  it("lists a worker from its first beat with its host, pid and tags, and forgets it when it stops", async () => {
    const hb = startWorkerHeartbeat(fx.conn, fx.prefix, "train", { host: "host-a", tags: { build: "b1" } });
    const live = await waitFor("the first beat", async () => {
      const w = await liveWorkers(fx.conn, fx.prefix, "train");
      return w.length > 0 ? w : undefined;
    });
    expect(live).toEqual([
      {
        host: "host-a",
        pid: process.pid,
        id: expect.stringMatching(/^[0-9a-f]{8}$/),
        tags: { build: "b1" },
        lastSeenMs: expect.any(Number),
      },
    ]);
    expect(Math.abs(live[0]!.lastSeenMs - Date.now())).toBeLessThan(60_000);
    // The key expires on its own if every worker dies without stopping.
    expect(await fx.conn.pttl(workersKey(fx.prefix, "train"))).toBeGreaterThan(WORKER_STALE_MS);
    expect(await liveWorkers(fx.conn, fx.prefix, "retrain")).toEqual([]);
    await hb.stop();
    expect(await liveWorkers(fx.conn, fx.prefix, "train")).toEqual([]);
  });

  it("does not count a worker whose last beat is older than the stale limit, nor members that are not ours", async () => {
    const key = workersKey(fx.prefix, "train");
    const now = 1_800_000_000_000;
    const member = (host: string) => JSON.stringify({ host, pid: 7, id: "abcdef01", tags: {} });
    await fx.conn.zadd(key, now - WORKER_STALE_MS - 1, member("dead"), now - WORKER_STALE_MS, member("edge"), now, member("alive"));
    await fx.conn.zadd(key, now, "not json", now, JSON.stringify({ host: 3 }));
    expect((await liveWorkers(fx.conn, fx.prefix, "train", now)).map((w) => w.host)).toEqual(["edge", "alive"]);
    expect((await liveWorkers(fx.conn, fx.prefix, "train", now, 1000)).map((w) => w.host)).toEqual(["alive"]);
  });

  it("runWorker registers itself under its host id with what it advertises, and leaves when closed", async () => {
    const h = startTestWorker(fx, handles, logger, "train", () => Promise.resolve({}), {
      shutdownGraceMs: 1000,
      hostId: "gpu-7",
      advertise: { build: "abc" },
    });
    const live = await waitFor("runWorker's beat", async () => {
      const w = await liveWorkers(fx.conn, fx.prefix, "train");
      return w.length > 0 ? w : undefined;
    });
    expect(live.map((w) => [w.host, w.tags])).toEqual([["gpu-7", { build: "abc" }]]);
    await h.close();
    expect(await liveWorkers(fx.conn, fx.prefix, "train")).toEqual([]);
  });
});
