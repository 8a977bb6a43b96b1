// A drift check in a fixture database: champion 1 drifted on BTC (3 features over), ETH calm;
// challenger 3 scored on BTC only. Written through @mlq/ml's recordDriftCheck, as the monitor does.
import { openMigrated } from "@mlq/db";
import { recordDriftCheck, type VersionDriftScore } from "@mlq/ml";
import { T0, type Fixture } from "./fixtures.test-util.js";

const FEATURES = ["ret_1", "ret_5", "ret_15", "ret_60", "rv_20", "vol_ratio", "rsi_14", "macd_hist", "bb_pctb", "atr_14", "range_pos_20"];
export const DRIFT_CHECK_MS = T0 + 3 * 86_400_000;

function score(version: string, psis: Record<string, (f: string, i: number) => number>): VersionDriftScore {
  const symbols = Object.entries(psis).map(([symbol, psiOf]) => {
    const features = FEATURES.map((feature, i) => {
      const psi = psiOf(feature, i);
      return { feature, psi, threshold: 0.3, over: psi > 0.3 };
    });
    const featuresOver = features.filter((f) => f.over).length;
    return { symbol, status: "scored" as const, bars: 1440, features, featuresOver, triggered: featuresOver >= 3, predictionPsi: 0.05 };
  });
  return {
    version,
    status: "scored",
    windowFromMs: DRIFT_CHECK_MS - 86_400_000,
    windowToMs: DRIFT_CHECK_MS,
    minFeatures: 3,
    trainingFalseTriggerRate: 0.01,
    symbols,
    triggered: symbols.some((s) => s.triggered),
    reason: `version ${version}: drift on BTC-USDT`,
  };
}

export function addDriftCheck(f: Fixture): void {
  const conn = openMigrated(f.dbPath);
  try {
    const champion = score("1", {
      "BTC-USDT": (_f, i) => (i === 3 || i === 6 || i === 8 ? 0.9 + i / 100 : 0.05),
      "ETH-USDT": (_f, i) => (i === 4 ? 0.25 : 0.02),
    });
    recordDriftCheck(conn, {
      tsMs: DRIFT_CHECK_MS,
      jobId: "monitor-1",
      champion,
      challenger: score("3", { "BTC-USDT": () => 0.1 }),
      status: "scored",
      triggered: true,
      action: "enqueued",
      retrainJobId: "retrain-77",
      reason: "version 1: drift on BTC-USDT (3 of 11 features over their thresholds); drift retrain enqueued (job retrain-77)",
    });
  } finally {
    conn.close();
  }
}
