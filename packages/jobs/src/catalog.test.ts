import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadConfig } from "@mlq/config";
import { ConfigError } from "@mlq/core";
import {
  MAX_PAYLOAD_BYTES,
  PayloadError,
  QUEUE_DEFINITIONS,
  QUEUE_NAMES,
  SCHEDULED_QUEUES,
  jobCatalog,
  parsePayload,
  type QueueDefinition,
} from "./catalog.js";

describe("parsePayload", () => {
  it.each([
    ["retrain", {}, { trigger: "scheduled" }],
    ["retrain", { trigger: "force", requestedBy: "ops@host" }, { trigger: "force", requestedBy: "ops@host" }],
    ["retrain", undefined, { trigger: "scheduled" }],
    ["ab-eval", {}, { action: "evaluate" }],
    ["ab-eval", { action: "rollback", requestedBy: "ops" }, { action: "rollback", requestedBy: "ops" }],
    ["calibrate", {}, {}],
    ["monitor", {}, {}],
    ["monitor", { requestedBy: "cron" }, { requestedBy: "cron" }],
  ] as const)("%s %j -> %j", (queue, data, expected) => {
    expect(parsePayload(queue, data)).toEqual(expected);
  });

  it.each([
    ["retrain", { trigger: "sometimes" }, /^invalid retrain payload: trigger: /],
    ["retrain", { trigger: "force", extra: 1, more: 2 }, /^invalid retrain payload: unknown fields extra, more$/],
    ["ab-eval", { action: "swap" }, /^invalid ab-eval payload: action: /],
    ["calibrate", { requestedBy: 5 }, /^invalid calibrate payload: requestedBy: /],
    ["calibrate", "not an object", /^invalid calibrate payload: payload: /],
    ["monitor", { rollback: false }, /^invalid monitor payload: unknown field rollback$/],
  ] as const)("rejects %s %j with a one-line PayloadError", (queue, data, message) => {
    let caught: unknown;
    try {
      parsePayload(queue, data);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PayloadError);
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as PayloadError).retryable).toBe(false);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain("\n");
  });

  it.each([
    [
      "calibrate",
      { outPath: "/tmp/x/owned.json" },
      "invalid calibrate payload: outPath is not accepted in job payloads: workers use their configured calibration file (MLQ_CALIBRATION_PATH)",
    ],
    [
      "retrain",
      { trigger: "force", dbPath: "/other.db" },
      "invalid retrain payload: dbPath is not accepted in job payloads: workers use their configured database (MLQ_DB_PATH)",
    ],
    [
      "ab-eval",
      { dbPath: 5 },
      "invalid ab-eval payload: dbPath is not accepted in job payloads: workers use their configured database (MLQ_DB_PATH)",
    ],
    [
      "monitor",
      { modelsDir: "/m" },
      "invalid monitor payload: modelsDir is not accepted in job payloads: workers use their configured models directory (MLQ_MODELS_DIR)",
    ],
    [
      "calibrate",
      { dbPath: "/a.db", outPath: "/b.json", modelsDir: "/m" },
      "invalid calibrate payload: dbPath is not accepted in job payloads: workers use their configured database (MLQ_DB_PATH); outPath is not accepted in job payloads: workers use their configured calibration file (MLQ_CALIBRATION_PATH); modelsDir is not accepted in job payloads: workers use their configured models directory (MLQ_MODELS_DIR)",
    ],
  ] as const)("refuses a path in a %s payload %j, naming the setting the worker uses instead", (queue, data, message) => {
    const err = (() => {
      try {
        parsePayload(queue, data);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PayloadError);
    expect((err as Error).message).toBe(message);
  });

  it("rejects payloads above 16 KiB of JSON before validating them", () => {
    const big = { requestedBy: "x", note: "a".repeat(MAX_PAYLOAD_BYTES) };
    expect(() => parsePayload("retrain", big)).toThrow(/^retrain payload is 16\.\d KiB, above the 16 KiB limit$/);
  });

  it("rejects an unknown queue", () => {
    expect(() => parsePayload("nope" as never, {})).toThrow(/unknown queue "nope"/);
  });

  it("accepts every valid retrain payload and returns exactly its fields (property)", () => {
    fc.assert(
      fc.property(
        fc.record(
          { trigger: fc.constantFrom("scheduled", "force", "smoke", "dry-run"), requestedBy: fc.string({ minLength: 1, maxLength: 50 }) },
          { requiredKeys: [] },
        ),
        (p) => {
          const out = parsePayload("retrain", p);
          expect(out).toEqual({ trigger: "scheduled", ...p });
        },
      ),
    );
  });
});

describe("jobCatalog", () => {
  it("resolves timeouts, retry, retention and schedules from the config", () => {
    const cat = jobCatalog(loadConfig({ MLQ_RETRY_ATTEMPTS: "4", MLQ_RETRY_BACKOFF_MS: "250", MLQ_CRON_RETRAIN: "15 14 * * *" }));
    expect(cat.retrain).toMatchObject({
      schedulerId: "mlq-retrain-daily",
      pattern: "15 14 * * *",
      tz: "UTC",
      timeoutMs: 7_200_000,
      retry: { attempts: 4, backoff: { type: "exponential", delay: 250 } },
      retention: { removeOnComplete: { age: 14 * 86_400, count: 500 }, removeOnFail: { age: 30 * 86_400, count: 2000 } },
      exclusiveId: "retrain",
      scheduledPayload: { trigger: "scheduled" },
    });
    expect(cat["ab-eval"]).toMatchObject({ pattern: "0 1 * * *", timeoutMs: 1_800_000, exclusiveId: undefined });
    expect(cat.calibrate).toMatchObject({ pattern: "30 12 * * *", timeoutMs: 1_800_000 });
    expect(cat.monitor).toMatchObject({
      schedulerId: "mlq-monitor-hourly",
      pattern: "5 * * * *",
      timeoutMs: 300_000,
      retry: { attempts: 4, backoff: { type: "exponential", delay: 250 } },
      exclusiveId: undefined,
      scheduledPayload: {},
    });
    expect(jobCatalog(loadConfig({ MLQ_CRON_MONITOR: "*/15 * * * *", MLQ_TIMEOUT_MONITOR_MS: "60000" })).monitor).toMatchObject({
      pattern: "*/15 * * * *",
      timeoutMs: 60_000,
    });
  });

  it("has a scheduled payload that its own schema accepts, and distinct scheduler ids with our prefix", () => {
    const ids = new Set<string>();
    for (const q of SCHEDULED_QUEUES) {
      const def: QueueDefinition = QUEUE_DEFINITIONS[q];
      expect(() => parsePayload(q, def.scheduledPayload)).not.toThrow();
      expect(def.schedulerId!.startsWith("mlq-")).toBe(true);
      expect(def.schedulerId).not.toContain(":");
      ids.add(def.schedulerId!);
    }
    expect(ids.size).toBe(SCHEDULED_QUEUES.length);
    expect([...QUEUE_NAMES]).toEqual(["retrain", "ab-eval", "calibrate", "monitor", "notify", "train"]);
    expect([...SCHEDULED_QUEUES]).toEqual(["retrain", "ab-eval", "calibrate", "monitor"]);
  });

  it("train: no scheduler, a 30-minute timeout per candidate, a strict payload that names data by sha256 only", () => {
    const cat = jobCatalog(loadConfig({}));
    expect(cat.train).toMatchObject({ scheduled: false, timeoutMs: 30 * 60_000, exclusiveId: undefined });
    const ok = {
      runId: 3,
      dataSha256: "ab".repeat(32),
      build: "ml-1",
      model: "direction",
      candidate: 0,
      params: { rounds: 5, maxDepth: 3, eta: 0.1, treeMethod: "hist" },
    };
    expect(parsePayload("train", ok)).toMatchObject(ok);
    expect(() => parsePayload("train", { ...ok, dataSha256: "../../etc/passwd" })).toThrow(/dataSha256: expected a sha256 hex digest/);
    expect(() => parsePayload("train", { ...ok, model: "gamma" })).toThrow(/invalid train payload: model/);
    expect(() => parsePayload("train", { ...ok, dbPath: "/tmp/x.db" })).toThrow(/dbPath is not accepted in job payloads/);
    expect(() => parsePayload("train", { ...ok, params: { ...ok.params, maxDepth: 40 } })).toThrow(/params.maxDepth/);
  });

  it("notify: no scheduler, a one-minute timeout and its own retry policy; an event id is a valid job id", () => {
    const cat = jobCatalog(loadConfig({ MLQ_NOTIFY_ATTEMPTS: "6", MLQ_NOTIFY_BACKOFF_MS: "5000" }));
    expect(cat.notify).toMatchObject({
      scheduled: false,
      schedulerId: "",
      pattern: "",
      timeoutMs: 60_000,
      retry: { attempts: 6, backoff: { type: "exponential", delay: 5000 } },
    });
    const event = {
      id: "role-12-promote-1764806400000",
      type: "champion.promoted",
      occurredAt: "2026-12-04T00:00:00.000Z",
      summary: "2 promoted",
    };
    expect(parsePayload("notify", event)).toEqual({ ...event, data: {} });
    expect(() => parsePayload("notify", { ...event, id: "repeat:mlq:1" })).toThrow(/invalid notify payload: id: expected 1-128/);
    expect(() => parsePayload("notify", { ...event, id: "123" })).toThrow(PayloadError);
    expect(() => parsePayload("notify", { ...event, type: "something" })).toThrow(/type/);
    expect(() => parsePayload("notify", { ...event, url: "http://elsewhere" })).toThrow(/unknown field url/);
  });
});
