import { readdirSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { AbortedError, DAY_MS, InputDataError, MlqError, type ProgressFn } from "@mlq/core";
import type { Connection } from "@mlq/db";
import { promoteV2Paper, readPointer, saveModelSet } from "@mlq/registry";
import { listRetrainRuns } from "./retrain-runs-store.js";
import { botDbLacking, insertRegimeCandles, insertTrades, retrainFixture, runRow, type RetrainFixture } from "./retrain.test-util.js";
import { RETRAIN_STAGES, runRetrain } from "./run-retrain.js";
import type { RetrainStage } from "./stage.js";

let fx: RetrainFixture | undefined;
afterEach(() => fx?.dispose());

const NOW = Date.UTC(2026, 5, 1);

function stage(name: string, progress: readonly [number, number], run: RetrainStage["run"], skip?: RetrainStage["skip"]): RetrainStage {
  return { name, progress, run, ...(skip && { skip }) };
}

describe("RETRAIN_STAGES", () => {
  it("is the pipeline in order, each stage with its share of a progress bar that only moves forward", () => {
    expect(RETRAIN_STAGES.map((s) => s.name)).toEqual([
      "check-input",
      "check-models-dir",
      "candles",
      "cost",
      "gates",
      "features",
      "split",
      "search",
      "train",
      "xgboost-json",
      "save",
      "register",
    ]);
    let last = 0;
    for (const { progress } of RETRAIN_STAGES) {
      expect(progress[0]).toBeGreaterThanOrEqual(last);
      expect(progress[1]).toBeGreaterThanOrEqual(progress[0]);
      expect(progress[1]).toBeLessThanOrEqual(100);
      last = progress[1];
    }
  });
});

describe("runRetrain", () => {
  it("runs the stages in order, skips those that do not apply, times each, and stops at the first result", async () => {
    fx = retrainFixture();
    const calls: string[] = [];
    const events: Parameters<ProgressFn>[0][] = [];
    const stages = [
      stage("a", [0, 40], () => void calls.push("a")),
      stage(
        "b",
        [40, 40],
        () => void calls.push("b"),
        () => true,
      ),
      stage("c", [40, 60], async (ctx) => {
        calls.push("c");
        ctx.progress(50, "half");
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { outcome: "dry-run", success: true, message: "ended by c" };
      }),
      stage("d", [60, 100], () => void calls.push("d")),
    ];
    const s = await runRetrain(
      { conn: fx.conn, config: fx.config, nowMs: NOW, jobId: "j1", progress: (p) => events.push(p) },
      { trigger: "dry-run" },
      stages,
    );
    expect(calls).toEqual(["a", "c"]);
    expect(Object.keys(s.stageMs)).toEqual(["a", "c"]);
    expect(s.stageMs.c).toBeGreaterThanOrEqual(0);
    expect(events).toEqual([
      { stage: "a", pct: 0 },
      { stage: "c", pct: 40 },
      { stage: "c", pct: 50, detail: "half" },
    ]);
    expect(s).toMatchObject({ outcome: "dry-run", success: true, message: "ended by c", trigger: "dry-run", gates: [], gatePass: false });
    expect(runRow(fx.conn, s.runId)).toMatchObject({
      job_id: "j1",
      status: "done",
      success: 1,
      error_msg: null,
      models_trained: 0,
      trigger_reason: "dry-run",
    });
    expect(runRow(fx.conn, s.runId).duration_sec).toBeGreaterThan(0);
  });

  it("records a stage's error on the run row as failed and rethrows it", async () => {
    fx = retrainFixture();
    const stages = [
      stage("gates", [0, 10], (ctx) => {
        ctx.state.gatePass = false;
        return undefined;
      }),
      stage("boom", [10, 20], () => {
        throw new InputDataError("something missing in /x.db");
      }),
    ];
    const err = await runRetrain({ conn: fx.conn, config: fx.config, nowMs: NOW }, { trigger: "force" }, stages).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputDataError);
    const [run] = listRetrainRuns(fx.conn, { limit: 5 });
    expect(run).toMatchObject({
      status: "failed",
      success: false,
      errorMsg: "something missing in /x.db",
      gatePass: false,
      triggerReason: "force",
    });
  });

  it("fails loudly when the stages end without a trained set or a result", async () => {
    fx = retrainFixture();
    const err = await runRetrain({ conn: fx.conn, config: fx.config, nowMs: NOW }, { trigger: "force" }, [
      stage("only", [0, 100], () => undefined),
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlqError);
    expect((err as MlqError).code).toBe("RETRAIN_STAGE_ORDER");
    expect(listRetrainRuns(fx.conn, { limit: 1 })[0]).toMatchObject({ status: "failed", gatePass: null });
  });

  it("stops at the next stage boundary once the signal has fired", async () => {
    fx = retrainFixture();
    const controller = new AbortController();
    const calls: string[] = [];
    const stages = [
      stage("a", [0, 50], () => {
        calls.push("a");
        controller.abort(new Error("cancelled by operator"));
        return undefined;
      }),
      stage("b", [50, 100], () => void calls.push("b")),
    ];
    const err = await runRetrain(
      { conn: fx.conn, config: fx.config, nowMs: NOW, signal: controller.signal },
      { trigger: "force" },
      stages,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(calls).toEqual(["a"]);
    expect(listRetrainRuns(fx.conn, { limit: 1 })[0]).toMatchObject({ status: "failed", errorMsg: "cancelled by operator" });
  });

  it("a dry run keeps the configured percentile ranks on the run row and the band values in the regime gate's details", async () => {
    fx = retrainFixture({
      MLQ_GATE_VOL_PCT_LO: "25",
      MLQ_GATE_VOL_PCT_HI: "75",
      MLQ_GATE_MIN_RETURNS_PER_DAY: "30",
      MLQ_GATE_PAPER_DAYS: "2",
      MLQ_GATE_MIN_TRADES: "5",
    });
    const day0 = NOW - 9 * DAY_MS;
    insertRegimeCandles(fx.conn, "BTC-USDT", day0, [3, 4, 5, 6, 1, 8, 2, 7], 40);
    insertTrades(fx.conn, 10, day0 + 4 * DAY_MS);
    const s = await runRetrain({ conn: fx.conn, config: fx.config, nowMs: NOW }, { trigger: "dry-run" });
    expect(s).toMatchObject({ outcome: "dry-run", success: true, gatePass: true });
    expect(s.message).toBe("dry run: gates pass; would train 5 models on 320 candles");
    const regime = s.gates.find((g) => g.name === "regime_diversity")!;
    expect(regime.details).toMatch(/25th–75th \[/);
    expect(runRow(fx.conn, s.runId)).toMatchObject({ vol_percentile_lo: 25, vol_percentile_hi: 75, slippage_mult: 2 });
    const [run] = listRetrainRuns(fx.conn, { limit: 1 });
    expect(run!.gates.find((g) => g.name === "regime_diversity")?.details).toBe(regime.details);
    expect(Object.keys(s.stageMs)).toEqual(["check-input", "candles", "cost", "gates"]);
  });
});

describe("runRetrain on a bot table that lacks a column", () => {
  /** A registered model set, so the test can show it is left alone. */
  function registeredModels(modelsDir: string): string {
    const models = ["direction", "risk", "price", "momentum", "volatility"].map((name, k) => ({ name, bytes: Uint8Array.from([k, 1, 2]) }));
    const saved = saveModelSet(modelsDir, "7", { models, manifest: { featureNames: ["ret_1"], params: {}, dataWindow: {}, metrics: {} } });
    promoteV2Paper(modelsDir, saved.version);
    return saved.version;
  }

  it.each([
    ["paper_trades lacks opened_ts_ms", { paperTrades: ["opened_ts_ms"] }, "paper_trades.opened_ts_ms"],
    ["ticks lacks price", { ticks: ["price"] }, "ticks.price"],
  ])(
    "%s: answers '<table>.<column> column missing in <path>', records it, and leaves the models untouched",
    async (_label, lacking, column) => {
      fx = retrainFixture();
      const version = registeredModels(fx.config.modelsDir);
      const before = readdirSync(fx.config.modelsDir).sort();
      let conn: Connection | undefined;
      try {
        conn = botDbLacking(fx.dir, lacking);
        const err = await runRetrain({ conn, config: fx.config, nowMs: NOW, jobId: "j" }, { trigger: "force" }).catch((e: unknown) => e);
        const message = `${column} column missing in ${conn.path}`;
        expect(err).toBeInstanceOf(InputDataError);
        expect((err as InputDataError).retryable).toBe(false);
        expect((err as Error).message).toBe(message);
        expect(listRetrainRuns(conn, { limit: 5 })).toEqual([
          expect.objectContaining({ status: "failed", success: false, errorMsg: message, jobId: "j" }),
        ]);
        expect(readPointer(fx.config.modelsDir, "v2_paper")?.version).toBe(version);
        expect(readdirSync(fx.config.modelsDir).sort()).toEqual(before);
      } finally {
        conn?.close();
      }
    },
  );
});
