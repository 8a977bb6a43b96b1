// The train job on the real Redis: the candidate data comes from the blob the parent published
// (decoded once per host), a job of another build is refused with a clear reason, an expired blob
// fails with the blob store's reason, and the returned predictions are what the in-process trainer gives.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { loadConfig } from "@mlq/config";
import { silentLogger } from "@mlq/core";
import { TRAIN_MODEL_NAMES, deleteKeysWithPrefix, publishBlob, type JobIo, type TrainPayload } from "@mlq/jobs";
import { decodePredictions, encodeCandidateData, inProcessCandidateTrainer, MODEL_NAMES, type CandidateData } from "@mlq/ml";
import { candidateDataCache, trainHandler } from "./processor.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

function data(rows = 300, validationRows = 80, cols = 4): CandidateData {
  let s = 7;
  const r = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  const X = Float32Array.from({ length: rows * cols }, r);
  const labels = Object.fromEntries(
    MODEL_NAMES.map((m) => [
      m,
      Float32Array.from({ length: rows }, (_, i) => (m === "direction" ? (X[i * cols]! > 0.5 ? 1 : 0) : X[i * cols + 1]! * 2)),
    ]),
  );
  return {
    cols,
    rows,
    X,
    labels: labels as CandidateData["labels"],
    validationRows,
    Xvalidation: Float32Array.from({ length: validationRows * cols }, r),
  };
}

const params = { rounds: 5, maxDepth: 3, eta: 0.3, treeMethod: "hist" as const, seed: 42 };

describe("worker-train's handler (real Redis)", () => {
  let conn: Redis;
  const prefix = `{mlqtest-train-${process.pid}-${Date.now()}}`;
  const config = loadConfig({ MLQ_QUEUE_PREFIX: prefix });
  beforeEach(() => {
    conn = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  });
  afterEach(async () => {
    await deleteKeysWithPrefix(conn, prefix);
    await conn.quit();
  });

  const io = (jobId = "t-1") =>
    ({ jobId, logger: silentLogger, progress: () => undefined, signal: new AbortController().signal }) as unknown as JobIo;

  it("trains the candidate on the published data and returns the in-process trainer's predictions", async () => {
    const d = data();
    const { sha256 } = await publishBlob(conn, prefix, encodeCandidateData(d), { ttlSec: 600 });
    const handler = trainHandler({ config, connection: conn, host: "h1", build: "b1" });
    const payload: TrainPayload = { runId: 1, dataSha256: sha256, build: "b1", model: "direction", candidate: 2, params };
    const out = (await handler(payload, io())) as Record<string, unknown>;
    expect(out).toMatchObject({ key: "direction-2", model: "direction", candidate: 2, dataSha256: sha256, build: "b1", host: "h1" });
    const [expected] = await inProcessCandidateTrainer({ threads: 0 }).train(d, [
      { key: "direction-2", model: "direction", candidate: 2, params },
    ]);
    expect(decodePredictions(out.predictions as string, d.validationRows)).toEqual(expected!.predictions);
  });

  it("refuses a job published by another build, naming both builds", async () => {
    const handler = trainHandler({ config, connection: conn, host: "h1", build: "b2" });
    const payload: TrainPayload = { runId: 1, dataSha256: "c".repeat(64), build: "b1", model: "risk", candidate: 0, params };
    await expect(handler(payload, io("t-9"))).rejects.toThrow("train job t-9 was published by build b1; this worker-train runs build b2");
  });

  it("fails with the blob store's reason when the data expired", async () => {
    const handler = trainHandler({ config, connection: conn, host: "h1", build: "b1" });
    const payload: TrainPayload = { runId: 1, dataSha256: "d".repeat(64), build: "b1", model: "risk", candidate: 0, params };
    await expect(handler(payload, io())).rejects.toThrow(/blob dddddddddddd under .* is expired or deleted/);
  });

  it("the per-host cache loads each sha256 once, keeps the newest entries and forgets failed loads", async () => {
    const loads: string[] = [];
    const cache = candidateDataCache(2, async (sha) => {
      loads.push(sha);
      if (sha === "bad") throw new Error("nope");
      return data(10, 5, 2);
    });
    await cache.get("a");
    await cache.get("a");
    await cache.get("b");
    await cache.get("c");
    await cache.get("a");
    await expect(cache.get("bad")).rejects.toThrow("nope");
    await expect(cache.get("bad")).rejects.toThrow("nope");
    expect(loads).toEqual(["a", "b", "c", "a", "bad", "bad"]);
  });

  it("the train queue's model names are ml's", () => {
    expect([...TRAIN_MODEL_NAMES]).toEqual([...MODEL_NAMES]);
  });
});
