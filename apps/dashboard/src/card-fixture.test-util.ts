// Model versions for the card pages on top of the status fixture: version 1 as an older manifest
// (no importance, gates or per-symbol rows) and champion, version 3 as a retrain writes it today
// (retrain run #3) and challenger; the A/B rows name both versions.
import { openMigrated } from "@mlq/db";
import { fillEvaluationSlot, registerVersion, saveModelSet, syncRoleFiles, type ManifestInput } from "@mlq/registry";
import { T0, type Fixture } from "./fixtures.test-util.js";

const FEATURES = ["ret_1", "ret_5", "ret_15", "ret_60", "rv_20", "vol_ratio", "rsi_14", "macd_hist", "bb_pctb", "atr_14", "range_pos_20"];
const NAMES = ["direction", "risk", "price", "momentum", "volatility"];
const models = (seed: number) =>
  NAMES.map((name, k) => ({ name, bytes: Uint8Array.from({ length: 48 }, (_, i) => (seed + k * 3 + i) & 0xff) }));

const OLD: ManifestInput = {
  featureNames: FEATURES,
  params: { rounds: 100, maxDepth: 4, eta: 0.1 },
  dataWindow: {
    train_end_ms: T0 - 9 * 86_400_000,
    test_start_ms: T0 - 8 * 86_400_000,
    test_end_ms: T0 - 6 * 86_400_000,
    symbols: ["BTC-USDT"],
  },
  rowCounts: { train: 30_000, test: 11_000 },
  metrics: { direction: { auc: 0.58, accuracy: 0.55, logLoss: 0.69 }, price: { rmse: 0.002, r2: 0.01 } },
  slippageMult: 2,
  embargoHours: 24,
};

/** Per model, importances that fall with the feature's index (direction: short-horizon returns first). */
const importance = Object.fromEntries(
  NAMES.map((model, k) => [
    model,
    {
      loss: model === "direction" ? "log_loss" : "rmse",
      baseline_loss: model === "direction" ? 0.66 : 0.002,
      importance: Object.fromEntries(FEATURES.map((f, j) => [f, Number(((0.02 / (1 + j + k)) * (j === 8 ? -0.1 : 1)).toFixed(6))])),
    },
  ]),
);

export const NEW: ManifestInput = {
  ...OLD,
  params: { rounds: 200, maxDepth: 5, eta: 0.05 },
  dataWindow: { train_end_ms: T0 - 3 * 86_400_000, test_start_ms: T0 - 2 * 86_400_000, test_end_ms: T0, symbols: ["BTC-USDT", "ETH-USDT"] },
  rowCounts: { train: 40_002, test: 14_000 },
  metrics: {
    direction: { auc: 0.61, accuracy: 0.57, logLoss: 0.68 },
    risk: { rmse: 0.004, mae: 0.003, r2: 0.2 },
    price: { rmse: 0.002, mae: 0.0015, r2: 0.01, hitRate: 0.53 },
    momentum: { rmse: 0.38, mae: 0.3, r2: 0.02, hitRate: 0.51 },
    volatility: { rmse: 0.0003, mae: 0.0002, r2: 0.8 },
  },
  slippageMult: 1.7,
  extra: {
    runId: 3,
    trigger: "force",
    gates: [
      { name: "paper_age", passed: true, value: 16, threshold: 14, details: "16 days" },
      { name: "trade_count", passed: true, value: 82, threshold: 75, details: null },
    ],
    rowsBySymbol: {
      "BTC-USDT": { candles: 30_000, rows: 29_900, dropped: 100, train: 20_001, test: 7_000 },
      "ETH-USDT": { candles: 30_000, rows: 29_880, dropped: 120, train: 20_001, test: 7_000 },
    },
  },
  trainedThroughMs: T0,
  featureImportance: {
    method: "permutation",
    split: "test",
    sample_rows: 2000,
    repeats: 1,
    seed: 42,
    stream: "importance",
    models: importance,
  },
};

export function addModelVersions(f: Fixture): void {
  saveModelSet(f.modelsDir, 1, { models: models(1), manifest: OLD });
  saveModelSet(f.modelsDir, 3, { models: models(3), manifest: NEW });
  const conn = openMigrated(f.dbPath);
  try {
    registerVersion(conn, f.modelsDir, { version: "1", runId: 1, trigger: "scheduled", nowMs: T0 - 5 * 86_400_000 });
    registerVersion(conn, f.modelsDir, { version: "3", runId: 3, trigger: "force", nowMs: T0 + 2 * 86_400_000 });
    fillEvaluationSlot(conn, { nowMs: T0 + 2 * 86_400_000, allocate: () => 0.05 });
    syncRoleFiles(conn, f.modelsDir, { debug() {}, info() {}, warn() {}, error() {} });
    conn.sqlite.prepare("UPDATE ab_test_runs SET arm_a_version = '1', arm_b_version = '3'").run();
  } finally {
    conn.close();
  }
}
