// Where `auto` trains the search, read from the train queue's worker registry on the real Redis:
// no worker-train → this worker's threads; worker-train of this build → the flow; any of another
// build attached → threads (that host would refuse the children it took and fail the retrain).
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "@mlq/config";
import { startWorkerHeartbeat, type JobIo } from "@mlq/jobs";
import { mlBuildHash } from "@mlq/ml";
import { chooseFlow } from "./processor.js";

describe("MLQ_SEARCH_TRAINER=auto chooses from the workers' heartbeats", () => {
  const prefix = `{mlqtest-${randomBytes(5).toString("hex")}}`;
  let conn: Redis;
  const stops: (() => Promise<void>)[] = [];
  const lines: string[] = [];
  const logger = {
    info: (m: string) => void lines.push(`info ${m}`),
    warn: (m: string) => void lines.push(`warn ${m}`),
    error: (m: string) => void lines.push(`error ${m}`),
    debug: () => undefined,
    child: () => logger,
  };
  const io = { resumeState: undefined, logger: logger as unknown as JobIo["logger"] };
  beforeEach(() => {
    conn = new Redis("redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
    lines.length = 0;
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    const keys = await conn.keys(`${prefix}*`);
    if (keys.length > 0) await conn.del(...keys);
    await conn.quit();
  });

  const config = (env: Record<string, string> = {}) => loadConfig({ MLQ_QUEUE_PREFIX: prefix, MLQ_BUILD_ID: "build-1", ...env });
  const attach = (host: string, build: string) => {
    const hb = startWorkerHeartbeat(conn, prefix, "train", { host, tags: { build } });
    stops.push(() => hb.stop());
  };
  const settle = () => new Promise((r) => setTimeout(r, 100));

  it("trains on this worker's threads with no worker-train attached, and says so", async () => {
    expect(await chooseFlow(config(), { connection: conn }, io, "force")).toBe(false);
    expect(lines).toEqual(["info no worker-train attached to the train queue: the search trains on this worker's threads"]);
  });

  it("uses the flow when every worker-train attached runs this build", async () => {
    expect(mlBuildHash("build-1")).toBe("build-1");
    attach("host-a", "build-1");
    attach("host-b", "build-1");
    await settle();
    expect(await chooseFlow(config(), { connection: conn }, io, "force")).toBe(true);
    expect(lines).toEqual([]);
  });

  it("trains locally when any worker-train attached runs another build, naming it", async () => {
    attach("host-a", "build-1");
    attach("host-old", "build-0");
    await settle();
    expect(await chooseFlow(config(), { connection: conn }, io, "force")).toBe(false);
    expect(lines).toEqual([
      "warn 1 of 2 worker-train attached run another build (host-old build-0; this is build-1): the search trains on this worker's threads",
    ]);
    // MLQ_SEARCH_TRAINER=flow is the operator's choice: it is kept.
    expect(await chooseFlow(config({ MLQ_SEARCH_TRAINER: "flow" }), { connection: conn }, io, "force")).toBe(true);
  });
});
