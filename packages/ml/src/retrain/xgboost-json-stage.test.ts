import { afterEach, describe, expect, it } from "vitest";
import { AbortedError, ModelIntegrityError } from "@mlq/core";
import { formatXgboostJson, legacyXgboostToJson, loadModelSet } from "@mlq/registry";
import { trainBooster } from "../train/booster.js";
import type { ModelSetResult } from "../train/index.js";
import { syntheticDataset } from "../train/synthetic.test-util.js";
import { featuresStage, splitStage } from "./dataset-stages.js";
import { saveStage } from "./registry-stages.js";
import { insertSyntheticCandles, retrainFixture, stageContext, type RetrainFixture } from "./retrain.test-util.js";
import { xgboostJsonStage, type TrainedModelWithJson } from "./xgboost-json-stage.js";

let fx: RetrainFixture | undefined;
afterEach(() => fx?.dispose());

const NAMES = ["direction", "risk", "price", "momentum", "volatility"] as const;

/** Five real ml-xgboost boosters (tiny) over the fixture's feature columns. */
async function boosters(cols: number): Promise<Uint8Array[]> {
  const data = syntheticDataset(400, 5, cols);
  return Promise.all(
    NAMES.map((name) =>
      trainBooster({
        X: data.X,
        rows: data.rows,
        cols,
        y: data.labels[name],
        objective: name === "direction" ? "binary:logistic" : "reg:squarederror",
        params: { rounds: 12, maxDepth: 3, eta: 0.3, treeMethod: "hist", seed: 1 },
      }),
    ),
  );
}

async function trainedContext(f: RetrainFixture, bytes: (k: number) => Uint8Array) {
  const ctx = stageContext(f, { state: { costFraction: 0.0024, slippage: { mult: 2, reason: "no calibration yet" } } });
  await featuresStage.run(ctx);
  await splitStage.run(ctx);
  ctx.state.gates = [];
  ctx.state.trained = {
    models: NAMES.map((name, k) => ({ name, objective: k === 0 ? "binary:logistic" : "reg:squarederror", bytes: bytes(k) })),
    metrics: { direction: { auc: 0.6 } },
  } as unknown as ModelSetResult;
  return ctx;
}

describe("xgboostJsonStage", () => {
  it("gives every booster its XGBoost JSON (with the dataset's feature names), which the save stage writes as is", async () => {
    fx = retrainFixture();
    insertSyntheticCandles(fx.conn, ["BTC", "ETH"], 1_500, Date.UTC(2026, 0, 1));
    const probe = await trainedContext(fx, () => new Uint8Array(0));
    const featureNames = probe.state.dataset!.featureNames;
    const real = await boosters(featureNames.length);
    const ctx = await trainedContext(fx, (k) => real[k]!);

    expect(await xgboostJsonStage.run(ctx)).toBeUndefined();
    const models = ctx.state.trained!.models as TrainedModelWithJson[];
    models.forEach((m, k) => expect(m.xgboostJson).toBe(formatXgboostJson(legacyXgboostToJson(real[k]!, { featureNames }))));
    expect(ctx.reports.at(-1)).toMatchObject({ stage: "stage", pct: 100, detail: "model 5/5 (volatility)" });

    await saveStage.run(ctx);
    const saved = loadModelSet(fx.config.modelsDir, ctx.state.saved!.version);
    expect(Object.values(saved.manifest.models).map((e) => e.json?.file)).toEqual(NAMES.map((n) => `${n}.json`));
  });

  it("passes bytes that are no XGBoost binary through without JSON", async () => {
    fx = retrainFixture();
    insertSyntheticCandles(fx.conn, ["BTC"], 1_500, Date.UTC(2026, 0, 1));
    const ctx = await trainedContext(fx, (k) => Uint8Array.from([k, 1, 2, 3]));
    await xgboostJsonStage.run(ctx);
    expect(ctx.state.trained!.models.every((m) => !("xgboostJson" in m))).toBe(true);
  });

  it("fails the run naming the model whose binary is corrupt, and stops when the job is aborted", async () => {
    fx = retrainFixture();
    insertSyntheticCandles(fx.conn, ["BTC"], 1_500, Date.UTC(2026, 0, 1));
    const probe = await trainedContext(fx, () => new Uint8Array(0));
    const real = await boosters(probe.state.dataset!.featureNames.length);
    const corrupt = await trainedContext(fx, (k) => (k === 3 ? real[k]!.subarray(0, real[k]!.length - 7) : real[k]!));
    await expect(xgboostJsonStage.run(corrupt)).rejects.toThrow(ModelIntegrityError);
    await expect(xgboostJsonStage.run(corrupt)).rejects.toThrow(
      /^model momentum cannot be converted to XGBoost JSON: XGBoost model is truncated/,
    );

    const controller = new AbortController();
    const aborted = await trainedContext(fx, (k) => real[k]!);
    controller.abort(new Error("job cancelled"));
    await expect(xgboostJsonStage.run({ ...aborted, signal: controller.signal })).rejects.toThrow(AbortedError);
  });
});
