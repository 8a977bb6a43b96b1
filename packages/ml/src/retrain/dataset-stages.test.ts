import { afterEach, describe, expect, it } from "vitest";
import { MlqError } from "@mlq/core";
import { FEATURE_NAMES } from "../features/compute-features.js";
import { featuresStage, splitStage } from "./dataset-stages.js";
import { insertSyntheticCandles, retrainFixture, runRow, stageContext, type RetrainFixture } from "./retrain.test-util.js";

let fx: RetrainFixture | undefined;
afterEach(() => fx?.dispose());

const T = Date.UTC(2026, 0, 1);
const COST = 0.0024;

function withCandles(bars: number, env: Record<string, string> = {}): RetrainFixture {
  fx = retrainFixture(env);
  insertSyntheticCandles(fx.conn, ["BTC", "ETH"], bars, T);
  return fx;
}

describe("featuresStage", () => {
  it("builds the pooled matrix of both symbols with the run's cost", async () => {
    const f = withCandles(1_500);
    const ctx = stageContext(f, { state: { costFraction: COST } });
    expect(await featuresStage.run(ctx)).toBeUndefined();
    const ds = ctx.state.dataset!;
    expect(ds.symbols).toEqual(["BTC", "ETH"]);
    expect(ds.featureNames).toEqual(FEATURE_NAMES);
    expect(ds.costFraction).toBe(COST);
    expect(ds.rows).toBeGreaterThan(2_000);
    expect(ds.rows + ds.droppedRows).toBe(3_000);
  });

  it("fails loudly when no earlier stage set the cost", async () => {
    const f = withCandles(200);
    const ctx = stageContext(f);
    expect(() => featuresStage.run(ctx)).toThrow(MlqError);
    expect(() => featuresStage.run(ctx)).toThrow("retrain stage features needs costFraction, which no earlier stage produced");
  });
});

describe("splitStage", () => {
  async function featured(f: RetrainFixture) {
    const ctx = stageContext(f, { state: { costFraction: COST } });
    await featuresStage.run(ctx);
    return ctx;
  }

  it("splits with an embargo, records training rows and embargo hours on the run row", async () => {
    const ctx = await featured(withCandles(1_500));
    expect(await splitStage.run(ctx)).toBeUndefined();
    const { split, train } = ctx.state;
    expect(train).toBe(split!.train);
    expect(split!.embargoHours).toBeGreaterThanOrEqual(1);
    expect(runRow(ctx.conn, ctx.runId)).toMatchObject({ training_rows: train!.length, embargo_hours: split!.embargoHours });
  });

  it("keeps the newest rows under the training row cap", async () => {
    const ctx = await featured(withCandles(1_500, { MLQ_MAX_TRAINING_ROWS: "500" }));
    await splitStage.run(ctx);
    const { split, train } = ctx.state;
    expect(split!.train.length).toBeGreaterThan(500);
    expect(Array.from(train!)).toEqual(Array.from(split!.train.slice(-500)));
    expect(runRow(ctx.conn, ctx.runId).training_rows).toBe(500);
  });

  it("ends the run as 'insufficient-data' with the reason, recording the rows it had", async () => {
    const ctx = await featured(withCandles(300));
    const end = await splitStage.run(ctx);
    expect(end).toMatchObject({ outcome: "insufficient-data", success: false, message: expect.stringMatching(/^insufficient data/) });
    expect(ctx.state.split).toBeUndefined();
    expect(runRow(ctx.conn, ctx.runId).training_rows).toBe(ctx.state.dataset!.rows);
  });
});
