// payload -> runCalibration. The assumed slippage uses the slippage_mult the live models were
// trained with (the latest retrain run that recorded one), so "r" compares like with like.
// Candles are brought up to date first: the regime of each trade is read from them.
import type { Config } from "@mlq/config";
import { openMigrated } from "@mlq/db";
import type { JobHandler, JobSummary } from "@mlq/jobs";
import { calibrationPolicyFromConfig, runCalibration } from "@mlq/calibration";
import { currentSlippageMult } from "@mlq/ml";
import { materializeCandlesAsync } from "@mlq/market-data";

export function calibrateHandler(config: Config): JobHandler<"calibrate"> {
  return async (payload, io) => {
    const conn = openMigrated(payload.dbPath ?? config.dbPath);
    try {
      await materializeCandlesAsync(conn, { signal: io.signal, logger: io.logger, progress: (p) => io.progress({ ...p, pct: p.pct * 0.5 }) });
      const policy = calibrationPolicyFromConfig(config, currentSlippageMult(conn.sqlite, config.costs.slippageMultMax));
      const summary = runCalibration(
        { conn, outPath: payload.outPath ?? config.calibrationPath, logger: io.logger, progress: io.progress, signal: io.signal, jobId: io.jobId },
        policy,
      );
      return summary as unknown as JobSummary;
    } finally {
      conn.close();
    }
  };
}
