import { describe, expect, it } from "vitest";
import { loadConfig } from "@mlq/config";
import { childId, childJobOptions, flowBlobsKey } from "./flow-trainer.js";

describe("the flow trainer's children", () => {
  it("take the train queue's retry policy and keep completed children a day and 100 at most (each holds its predictions)", () => {
    expect(childJobOptions(loadConfig({}))).toEqual({
      attempts: 3,
      backoff: { type: "exponential", delay: 10_000 },
      removeOnComplete: { age: 86_400, count: 100 },
      removeOnFail: { age: 30 * 86_400, count: 2000 },
    });
    const tight = childJobOptions(loadConfig({ MLQ_RETRY_ATTEMPTS: "5", MLQ_KEEP_COMPLETED_COUNT: "20", MLQ_KEEP_COMPLETED_AGE_S: "600" }));
    expect(tight).toMatchObject({ attempts: 5, removeOnComplete: { age: 600, count: 20 } });
  });

  it("have deterministic ids without ':' (a scheduled parent's id has them), named after the run and the candidate", () => {
    expect(childId("repeat:mlq-retrain-daily:1700000000000", 12, { key: "direction-3" })).toBe(
      "repeat_mlq-retrain-daily_1700000000000-r12-direction-3",
    );
    expect(childId("retrain-1", 4, { key: "risk-0" })).toBe("retrain-1-r4-risk-0");
    expect(flowBlobsKey("{mlq}", "retrain-1")).toBe("{mlq}:mlq:flow-blobs:retrain:retrain-1");
  });
});
