// Feature drift through the real queues: ticks of a simulated market with a one-way trend planted after
// the training window, a champion whose manifest holds that window's drift baseline, the built
// worker-monitor as a child process. The monitor materializes the candles, records PSIs above the
// thresholds and enqueues one `drift` retrain; a second run inside the cooldown enqueues none.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "@mlq/core";
import { openMigrated, writeTx } from "@mlq/db";
import { simulateDemoCandles } from "@mlq/demo-data";
import { buildFeatureRows, manifestBaselines, predictionBaseline, trainBooster, trainingDriftBaseline } from "@mlq/ml";
import { registerVersion, saveModelSet } from "@mlq/registry";
import { E2eFixture, sqlRows } from "./support.js";

const SYMBOLS = ["BTC-USDT", "ETH-USDT"];

describe("drift through the monitor queue", () => {
  let fx: E2eFixture;
  beforeEach(() => {
    fx = new E2eFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  /** 14 training days, then 2 days trending up by 0.3 σ a minute, ending at the last whole hour. */
  async function driftedChampion(): Promise<void> {
    const endMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    const fromMs = endMs - 16 * DAY_MS;
    const trainToMs = fromMs + 14 * DAY_MS;
    const candles = simulateDemoCandles({ seed: 3, symbols: SYMBOLS, fromMs, minutes: 16 * 1440, shiftFromMs: trainToMs, trendShift: 0.3 });
    const conn = openMigrated(fx.dbPath, { create: true });
    try {
      // Four ticks a minute (open, high, low, close): the monitor materializes the candles itself.
      const insert = conn.sqlite.prepare("INSERT INTO ticks (ts_ms, symbol, price, size) VALUES (?, ?, ?, 1)");
      writeTx(conn, () => {
        for (let m = 0; m < 16 * 1440; m++)
          for (const s of candles) [s.open, s.high, s.low, s.close].forEach((p, k) => insert.run(s.ts[m]! + k * 15_000, s.symbol, p[m]!));
      });
      const rows = buildFeatureRows(candles);
      const train = Int32Array.from({ length: rows.rows }, (_, r) => r).filter((r) => rows.ts[r]! < trainToMs);
      const featureDrift = trainingDriftBaseline(rows, train, { windowHours: 24, minFeatures: 3, thresholdQuantile: 0.99, minPsi: 0.3 });
      const cols = rows.featureNames.length;
      const n = 2000;
      const direction = await trainBooster({
        X: rows.X.subarray(0, n * cols),
        rows: n,
        cols,
        y: Float64Array.from({ length: n }, (_, r) => (rows.X[(r + 1) * cols]! > 0 ? 1 : 0)),
        objective: "binary:logistic",
        params: { rounds: 3, maxDepth: 2, eta: 0.3, treeMethod: "hist", seed: 1 },
      });
      const probs = Float64Array.from({ length: 500 }, (_, i) => i / 500);
      const { driftBaseline } = manifestBaselines(
        {
          featureDrift,
          predictionDrift: predictionBaseline(probs, new Int32Array(500), SYMBOLS),
          entryThreshold: { quantile: 0.8, threshold: 0.8, rows: 500 },
          importance: null,
          durationsMs: { predictionDrift: 0, importance: 0 },
        },
        rows.featureNames,
      );
      saveModelSet(fx.modelsDir, 1, {
        models: [
          { name: "direction", objective: "binary:logistic", bytes: direction },
          ...["risk", "price", "momentum", "volatility"].map((name, k) => ({
            name,
            bytes: Uint8Array.from({ length: 32 }, (_, i) => (k + i) & 0xff),
          })),
        ],
        manifest: { featureNames: [...rows.featureNames], params: {}, dataWindow: {}, rowCounts: {}, metrics: {}, driftBaseline },
      });
      registerVersion(conn, fx.modelsDir, { version: "1", runId: null, trigger: "scheduled", nowMs: trainToMs });
    } finally {
      conn.close();
    }
  }

  it("records PSI above threshold on the trending features, enqueues one drift retrain, and none inside the cooldown", async () => {
    await driftedChampion();
    await fx.startWorkers(["worker-monitor"]);
    const producer = fx.producer();

    const first = await producer.enqueue("monitor", {}, { requestedBy: "e2e" });
    const s1 = (await producer.waitForJob("monitor", first.jobId, { timeoutMs: 120_000, pollMs: 200 })) as unknown as {
      drift: { status: string; triggered: boolean; action: string; retrainJobId: string; checkId: number; reason: string };
    };
    expect(s1.drift).toMatchObject({ status: "scored", triggered: true, action: "enqueued" });
    const retrains = await producer.queues.retrain.getJobs(["waiting", "active", "delayed", "prioritized"]);
    expect(retrains.map((j) => j.id)).toEqual([s1.drift.retrainJobId]);
    expect(retrains[0]!.data).toMatchObject({ trigger: "drift", requestedBy: expect.stringMatching(/^monitor: version 1: drift on /) });

    const over = sqlRows<{ symbol: string; feature: string; psi: number; threshold: number }>(
      fx.dbPath,
      "SELECT symbol, feature, psi, threshold FROM feature_drift WHERE check_id = ? AND over = 1",
      s1.drift.checkId,
    );
    // A one-way trend moves the trend features (returns, RSI, Bollinger %B, range position, MACD), not
    // the volatility ones; the rule fired on a symbol with at least 3 of them over their thresholds.
    const trendFeatures = new Set(["ret_1", "ret_5", "ret_15", "ret_60", "macd_hist", "rsi_14", "bb_pctb", "range_pos_20"]);
    expect(over.filter((r) => !trendFeatures.has(r.feature))).toEqual([]);
    expect(Math.max(...SYMBOLS.map((symbol) => over.filter((r) => r.symbol === symbol).length))).toBeGreaterThanOrEqual(3);
    for (const r of over) expect(r.psi).toBeGreaterThan(r.threshold);
    const check = sqlRows(fx.dbPath, "SELECT job_id, champion, status, triggered, action, retrain_job_id FROM drift_checks");
    expect(check).toEqual([
      { job_id: first.jobId, champion: "1", status: "scored", triggered: 1, action: "enqueued", retrain_job_id: s1.drift.retrainJobId },
    ]);

    // The second run (mlq monitor through the queue) is inside the cooldown: no second retrain.
    const cli = await fx.cli(["monitor", "--json"], {}, 120_000);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ drift: { triggered: true, action: "cooldown", retrainJobId: null } });
    expect((await producer.queues.retrain.getJobs(["waiting", "active", "delayed", "prioritized"])).map((j) => j.id)).toEqual([
      s1.drift.retrainJobId,
    ]);
    expect(sqlRows(fx.dbPath, "SELECT action FROM drift_checks ORDER BY id")).toEqual([{ action: "enqueued" }, { action: "cooldown" }]);

    // The version card says what the monitor saw since training.
    const card = await fx.cli(["models", "show", "1"]);
    expect(card.code, card.stderr).toBe(0);
    expect(card.stdout).toMatch(/^drift since training$/m);
    expect(card.stdout).toMatch(/^checks\s+2 \(as champion the rule fired 2 time\(s\), 1 drift retrain\(s\) enqueued\)$/m);
  });

  it("mlq monitor --local scores drift and says no retrain was enqueued without a queue", async () => {
    await driftedChampion();
    const r = await fx.cli(["monitor", "--local"], {}, 120_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^drift triggered\s+yes$/m);
    expect(r.stdout).toMatch(/^drift action\s+not-enqueued$/m);
    expect(r.stdout).toContain("no queue in this run (--local)");
  });
});
