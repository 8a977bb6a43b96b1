// Benchmark: the A/B's shadow step. Two model versions (100 rounds, depth 4: the default config)
// trained on 5 days of demo-data's market model for 2 symbols, then scored on the next 7 days of
// one-minute candles (≈ 20,000 bars): features, both boosters, the position policy, the paired
// tests with a 2,000-resample block bootstrap. Also: scoring 20,000 rows with one booster, and the
// floor of that — the wasm predict call alone on a float32 matrix already in place.
// Build first: pnpm turbo run build. Standalone: `node bench/shadow.mjs`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { runShadowEvaluation } from "../packages/ab/dist/index.js";
import { createRng } from "../packages/core/dist/index.js";
import { openMigrated } from "../packages/db/dist/index.js";
import { insertDemoCandles, simulateDemoCandles } from "../packages/demo-data/dist/index.js";
import { listCandleSymbols, loadCandles } from "../packages/market-data/dist/index.js";
import {
  buildDataset,
  buildFeatureRows,
  entryThreshold,
  FEATURE_NAMES,
  predict,
  predictBatch,
  trainBooster,
} from "../packages/ml/dist/index.js";
import { saveModelSet } from "../packages/registry/dist/index.js";

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 2, 2);
const TRAIN_END = T0 + 5 * DAY_MS;
const NOW = T0 + 12 * DAY_MS;
const H = 15;
const SHADOW_TARGET_MS = 1000;
const SCORE_TARGET_MS = 100;
const SCORE_ROWS = 20_000;
const RUNS = 7;

function writeCandles(conn) {
  insertDemoCandles(conn, simulateDemoCandles({ seed: 7, symbols: ["BTCUSDT", "ETHUSDT"], fromMs: T0, minutes: 12 * 1440 }));
}

async function trainVersion(conn, modelsDir, version, labelNoise) {
  const series = listCandleSymbols(conn.sqlite).map((symbol) => loadCandles(conn.sqlite, { symbol, toMs: TRAIN_END }));
  const ds = buildDataset(series, { horizonBars: H, costFraction: 0.002 });
  const cols = FEATURE_NAMES.length;
  const split = Math.floor(ds.rows * 0.7);
  const y = Float64Array.from(ds.y.direction.subarray(0, split));
  const rng = createRng(1, `bench-noise:${version}`);
  for (let i = 0; i < y.length; i++) if (rng.next() < labelNoise) y[i] = 1 - y[i];
  const bytes = await trainBooster({
    X: ds.X.subarray(0, split * cols),
    rows: split,
    cols,
    y,
    objective: "binary:logistic",
    params: { rounds: 100, maxDepth: 4, eta: 0.1, treeMethod: "hist", seed: 1 },
  });
  const p = await predict(bytes, ds.X.subarray(split * cols), ds.rows - split, cols);
  saveModelSet(modelsDir, version, {
    models: [{ name: "direction", bytes }],
    manifest: {
      featureNames: [...FEATURE_NAMES],
      params: { rounds: 100, maxDepth: 4, eta: 0.1, horizonBars: H },
      dataWindow: {},
      metrics: {},
      embargoHours: 1,
      trainedThroughMs: ds.labelEndTs[ds.rows - 1],
      entryThreshold: {
        model: "direction",
        split: "test",
        quantile: 0.8,
        threshold: entryThreshold(p, 0.8).threshold,
        rows: ds.rows - split,
      },
    },
  });
  return bytes;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run({ log = console.log } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "mlq-bench-shadow-"));
  const conn = openMigrated(join(dir, "bot.db"), { create: true });
  try {
    const modelsDir = join(dir, "models");
    writeCandles(conn);
    await trainVersion(conn, modelsDir, "1", 0.45);
    const bytes = await trainVersion(conn, modelsDir, "2", 0);
    const input = {
      conn,
      modelsDir,
      champion: "1",
      challenger: "2",
      nowMs: NOW,
      costPerSide: 0.001,
      options: { minBars: 0, maxGapMinutes: 5, defaultEmbargoHours: 1 },
    };

    let result;
    const shadow = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const t0 = performance.now();
      result = await runShadowEvaluation(input);
      if (i > 0) shadow.push(performance.now() - t0);
    }
    if (result.status !== "ok") throw new Error(`bench/shadow.mjs: shadow evaluation ${result.status}: ${result.reason}`);
    log(
      `shadow: ${result.bars} bars of ${result.symbols.join(", ")}; Sharpe per bar A ${result.sharpeA.toFixed(4)} (noisy labels) vs B ${result.sharpeB.toFixed(4)}, HAC z ${result.hacZ.toFixed(2)}, bootstrap p(B no better) ${result.pBetter.toFixed(4)}`,
    );

    const rows = buildFeatureRows(
      listCandleSymbols(conn.sqlite).map((symbol) => loadCandles(conn.sqlite, { symbol })),
      { fromMs: NOW - 7 * DAY_MS },
    );
    const n = Math.min(SCORE_ROWS, rows.rows);
    const X = rows.X.subarray(0, n * FEATURE_NAMES.length);
    const score = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const t0 = performance.now();
      await predictBatch(bytes, X, n, FEATURE_NAMES.length);
      if (i > 0) score.push(performance.now() - t0);
    }
    const X32 = Float32Array.from(X);
    const floor = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const t0 = performance.now();
      await predict(bytes, X32, n, FEATURE_NAMES.length);
      if (i > 0) floor.push(performance.now() - t0);
    }
    const worker = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await predictBatch(bytes, X, n, FEATURE_NAMES.length, { workerMinRows: 0 });
      worker.push(performance.now() - t0);
    }
    const [ms, sc, fl, wk] = [median(shadow), median(score), median(floor), median(worker)];
    log(
      `shadow: step median ${ms.toFixed(1)} ms over ${RUNS} runs; scoring ${n} rows ${sc.toFixed(1)} ms (floor: one predict call on float32 ${fl.toFixed(1)} ms, ratio ${(sc / fl).toFixed(2)}); on a worker thread ${wk.toFixed(1)} ms`,
    );
    return [
      {
        name: `shadow step: 2 versions × ${result.bars} bars (7 days × 2 symbols), 2,000-resample bootstrap`,
        median: Number(ms.toFixed(2)),
        unit: "ms",
        target: SHADOW_TARGET_MS,
        pass: ms <= SHADOW_TARGET_MS,
      },
      {
        name: `scoring ${n} rows with one booster (100 rounds, depth 4)`,
        median: Number(sc.toFixed(2)),
        unit: "ms",
        target: SCORE_TARGET_MS,
        pass: sc <= SCORE_TARGET_MS,
      },
      {
        name: "  floor: one predict call on a float32 matrix already built (no feature rows, no checks of our own)",
        median: Number(fl.toFixed(2)),
        unit: "ms",
        target: "reference",
        pass: true,
      },
      {
        name: "  the same batch on a one-shot worker thread (used from 50,000 rows)",
        median: Number(wk.toFixed(2)),
        unit: "ms",
        target: "reference",
        pass: true,
      },
    ];
  } finally {
    conn.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run()));
}
