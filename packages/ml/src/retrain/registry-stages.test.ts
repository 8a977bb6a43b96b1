import { afterEach, describe, expect, it } from "vitest";
import { loadModelSet, readPointer } from "@mlq/registry";
import type { ModelSetResult } from "../train/index.js";
import { featuresStage, splitStage } from "./dataset-stages.js";
import { registerStage, saveStage } from "./registry-stages.js";
import { insertSyntheticCandles, retrainFixture, stageContext, type RetrainFixture } from "./retrain.test-util.js";

let fx: RetrainFixture | undefined;
afterEach(() => fx?.dispose());

const NAMES = ["direction", "risk", "price", "momentum", "volatility"] as const;

/** A split run with a stand-in trained set (the registry stores bytes; it never parses them). */
async function trainedContext(f: RetrainFixture, seed: number) {
  const ctx = stageContext(f, { state: { costFraction: 0.0024, slippage: { mult: 2, reason: "no calibration yet" } } });
  await featuresStage.run(ctx);
  await splitStage.run(ctx);
  ctx.state.gates = [];
  ctx.state.trained = {
    models: NAMES.map((name, k) => ({
      name,
      objective: k === 0 ? "binary:logistic" : "reg:squarederror",
      bytes: Uint8Array.from([seed, k, 1, 2, 3]),
    })),
    metrics: { direction: { auc: 0.6 } },
  } as unknown as ModelSetResult;
  return ctx;
}

describe("saveStage and registerStage", () => {
  it("save writes an immutable version named by the run id with the data window; register moves v2_paper and sets v1_backtest once", async () => {
    fx = retrainFixture();
    insertSyntheticCandles(fx.conn, ["BTC", "ETH"], 1_500, Date.UTC(2026, 0, 1));
    const first = await trainedContext(fx, 1);
    expect(await saveStage.run(first)).toBeUndefined();
    const saved = first.state.saved!;
    expect(saved.version).toBe(String(first.runId));
    expect(saved.manifest).toMatchObject({
      slippage_mult: 2,
      embargo_hours: first.state.split!.embargoHours,
      row_counts: { train: first.state.train!.length, test: first.state.split!.test.length },
      data_window: { train_end_ms: first.state.split!.trainEndTs, test_start_ms: first.state.split!.testStartTs, symbols: ["BTC", "ETH"] },
      extra: { runId: first.runId, trigger: "scheduled", codeVersion: "test" },
    });
    expect(readPointer(fx.config.modelsDir, "v2_paper")).toBeNull();

    expect(await registerStage.run(first)).toBeUndefined();
    expect(first.state.v1BacktestEstablished).toBe(true);
    const paper = readPointer(fx.config.modelsDir, "v2_paper")!;
    expect(paper.version).toBe(saved.version);
    expect(loadModelSet(fx.config.modelsDir, paper).models.map((m) => m.name)).toEqual([...NAMES]);

    const second = await trainedContext(fx, 2);
    await saveStage.run(second);
    await registerStage.run(second);
    expect(second.state.v1BacktestEstablished).toBe(false);
    expect(readPointer(fx.config.modelsDir, "v2_paper")?.version).toBe(String(second.runId));
    expect(readPointer(fx.config.modelsDir, "v2_paper_prev")?.version).toBe(saved.version);
    expect(readPointer(fx.config.modelsDir, "v1_backtest")?.version).toBe(saved.version);
  });

  it("register needs a saved version", async () => {
    fx = retrainFixture();
    expect(() => registerStage.run(stageContext(fx!))).toThrow("retrain stage register needs saved, which no earlier stage produced");
  });
});
