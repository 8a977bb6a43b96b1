// payload -> runCalibration. The assumed slippage uses the slippage_mult the live models were
// trained with (the latest retrain run that recorded one), so "r" compares like with like.
import type { Config } from "@mlq/config";
import { openMigrated } from "@mlq/db";
import type { JobHandler, JobSummary } from "@mlq/jobs";
import { calibrationPolicyFromConfig, runCalibration } from "@mlq/calibration";
import { currentSlippageMult } from "@mlq/ml";

export function calibrateHandler(config: Config): JobHandler<"calibrate"> {
  return async (payload, io) => {
    const conn = openMigrated(payload.dbPath ?? config.dbPath);
    try {
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
