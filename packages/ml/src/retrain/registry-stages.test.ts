import { afterEach, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { currentRoles, loadModelSet, pointerPath, readActiveModel, readActiveState, readPointer, readRoleEvents } from "@mlq/registry";
import type { ModelSetResult } from "../train/index.js";
import { featuresStage, splitStage } from "./dataset-stages.js";
import { registerStage, saveStage } from "./registry-stages.js";
import { insertSyntheticCandles, retrainFixture, stageContext, type RetrainFixture } from "./retrain.test-util.js";

let fx: RetrainFixture | undefined;
afterEach(() => fx?.dispose());

const NAMES = ["direction", "risk", "price", "momentum", "volatility"] as const;

/** A split run with a stand-in trained set (the registry stores bytes; it never parses them). */
async function trainedContext(f: RetrainFixture, seed: number, options: Parameters<typeof stageContext>[1] = {}) {
  const ctx = stageContext(f, { ...options, state: { costFraction: 0.0024, slippage: { mult: 2, reason: "no calibration yet" } } });
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
  it("save writes an immutable version named by the run id with the data window; register gives it a role: champion first, then challenger, then candidate", async () => {
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
    // Rows per symbol: each split's rows counted by symbol add up to the split.
    const bySymbol = (saved.manifest["extra"] as { rowsBySymbol: Record<string, { train: number; test: number; rows: number; candles: number }> }).rowsBySymbol;
    expect(Object.keys(bySymbol)).toEqual(["BTC", "ETH"]);
    expect(bySymbol["BTC"]!.train + bySymbol["ETH"]!.train).toBe(first.state.train!.length);
    expect(bySymbol["BTC"]!.test + bySymbol["ETH"]!.test).toBe(first.state.split!.test.length);
    expect(bySymbol["BTC"]!.train).toBeGreaterThan(0);
    expect(bySymbol["ETH"]!.test).toBeGreaterThan(0);
    expect(bySymbol["BTC"]!.candles).toBe(1_500);
    expect(readPointer(fx.config.modelsDir, "v2_paper")).toBeNull();

    // The first version has nothing to be compared with: champion and v1_backtest baseline at once.
    expect(await registerStage.run(first)).toBeUndefined();
    expect(first.state).toMatchObject({ v1BacktestEstablished: true, registered: { role: "champion", alpha: null, skipped: [] } });
    const m = fx.config.modelsDir;
    expect(readPointer(m, "v1_backtest")?.version).toBe(saved.version);
    expect(readPointer(m, "v2_paper")).toBeNull();
    expect(readActiveModel(m)).toMatchObject({ arm: "v1_backtest", version: saved.version });
    expect(readActiveState(fx.conn)?.versionDir).toBe(saved.versionDir);
    expect(loadModelSet(m, readPointer(m, "v1_backtest")!).models.map((x) => x.name)).toEqual([...NAMES]);

    // The next one takes the free evaluation slot as challenger (v2_paper) at the configured α.
    const second = await trainedContext(fx, 2, { nowMs: Date.UTC(2026, 5, 2) });
    await saveStage.run(second);
    await registerStage.run(second);
    expect(second.state).toMatchObject({ v1BacktestEstablished: false, registered: { role: "challenger", alpha: 0.05, skipped: [] } });
    expect(readPointer(m, "v2_paper")?.version).toBe(String(second.runId));
    expect(readPointer(m, "v2_paper_prev")).toBeNull();

    // While the challenger is evaluated, later versions wait as candidates; the champion stays.
    const third = await trainedContext(fx, 3, { nowMs: Date.UTC(2026, 5, 3), trigger: "force" });
    await saveStage.run(third);
    await registerStage.run(third);
    expect(third.state.registered).toEqual({ role: "candidate", alpha: null, skipped: [] });
    expect(readPointer(m, "v2_paper")?.version).toBe(String(second.runId));
    expect(readPointer(m, "candidate")?.version).toBe(String(third.runId));
    expect(readPointer(m, "v1_backtest")?.version).toBe(saved.version);
    expect(readActiveModel(m)?.version).toBe(saved.version);
    expect(readRoleEvents(fx.conn).map((e) => [e.event, e.version, e.role, e.runId, e.trigger])).toEqual([
      ["register", saved.version, "champion", first.runId, "scheduled"],
      ["register", String(second.runId), "candidate", second.runId, "scheduled"],
      ["take_slot", String(second.runId), "challenger", null, null],
      ["register", String(third.runId), "candidate", third.runId, "force"],
    ]);
  });

  it("a smoke run saves its set but never registers it", async () => {
    fx = retrainFixture();
    insertSyntheticCandles(fx.conn, ["BTC"], 1_500, Date.UTC(2026, 0, 1));
    const ctx = await trainedContext(fx, 1, { trigger: "smoke" });
    await saveStage.run(ctx);
    expect(registerStage.skip?.(ctx)).toBe(true);
    expect(registerStage.skip?.({ ...ctx, trigger: "force" })).toBe(false);
    expect(existsSync(ctx.state.saved!.versionDir)).toBe(true);
    expect(readRoleEvents(fx.conn)).toEqual([]);
    expect(currentRoles(fx.conn).champion).toBeNull();
    expect(existsSync(pointerPath(fx.config.modelsDir, "v1_backtest"))).toBe(false);
  });

  it("register needs a saved version", async () => {
    fx = retrainFixture();
    expect(() => registerStage.run(stageContext(fx!))).toThrow("retrain stage register needs saved, which no earlier stage produced");
  });
});
