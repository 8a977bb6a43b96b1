import { afterEach, describe, expect, it } from "vitest";
import { AbortedError } from "@mlq/core";
import { MODEL_NAMES } from "../train/index.js";
import { featuresStage, splitStage } from "./dataset-stages.js";
import { insertSyntheticCandles, retrainFixture, stageContext, type RetrainFixture } from "./retrain.test-util.js";
import { trainStage } from "./train-stage.js";

let fx: RetrainFixture | undefined;
afterEach(() => fx?.dispose());

async function splitContext() {
  fx = retrainFixture();
  insertSyntheticCandles(fx.conn, ["BTC", "ETH"], 1_500, Date.UTC(2026, 0, 1));
  const ctx = stageContext(fx, { state: { costFraction: 0.0024 }, band: trainStage.progress, stage: "train" });
  await featuresStage.run(ctx);
  await splitStage.run(ctx);
  return ctx;
}

describe("trainStage", () => {
  it("trains the five models on the capped train rows and measures them on the test rows", async () => {
    const ctx = await splitContext();
    expect(await trainStage.run(ctx)).toBeUndefined();
    const trained = ctx.state.trained!;
    expect(trained.models.map((m) => m.name)).toEqual([...MODEL_NAMES]);
    expect(trained.models.every((m) => m.bytes.length > 0)).toBe(true);
    expect(trained.trainRows).toBe(ctx.state.train!.length);
    expect(trained.testRows).toBe(ctx.state.split!.test.length);
    expect(Object.keys(trained.metrics)).toEqual([...MODEL_NAMES]);
    // Progress starts at "model 0/5" and stays inside the stage's share of the run.
    expect(ctx.reports[0]).toEqual({ stage: "train", pct: 55, detail: "model 0/5" });
    expect(ctx.reports.every((r) => r.pct >= 55 && r.pct <= 90)).toBe(true);
    expect(ctx.reports.at(-1)?.pct).toBe(90);
  });

  it("stops with AbortedError when the run's signal has fired", async () => {
    const ctx = await splitContext();
    const controller = new AbortController();
    controller.abort(new Error("cancelled"));
    await expect(trainStage.run({ ...ctx, signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
    expect(ctx.state.trained).toBeUndefined();
  });
});
