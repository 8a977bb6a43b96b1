// The calibrate queue's task. Candles are brought up to date first (the regime of each trade is
// read from them); the assumed slippage uses the slippage_mult the live models were trained with
// (the latest retrain run that recorded one), so "r" compares like with like.
import type { Config } from "@mlq/config";
import { withMigrated } from "@mlq/db";
import { calibrationPolicyFromConfig, recordFailedCalibration, runCalibration, type CalibrationSummary } from "@mlq/calibration";
import { currentSlippageMult } from "@mlq/ml";
import { materializeCandlesAsync } from "@mlq/market-data";
import type { TaskIo } from "./task-io.js";

export interface CalibrateTaskPayload {
  /** Who asked; the run itself does not use it. */
  readonly requestedBy?: string | undefined;
}

/**
 * Calibrates from the configured database and writes the configured calibration file. A failure
 * while bringing the candles up to date is recorded as a failed calibration run as well, like any
 * failure of the calibration itself.
 */
export async function runCalibrateTask(config: Config, _payload: CalibrateTaskPayload, io: TaskIo): Promise<CalibrationSummary> {
  return withMigrated(config.dbPath, async (conn) => {
    const jobId = io.jobId ?? undefined;
    try {
      await materializeCandlesAsync(conn, {
        signal: io.signal,
        logger: io.logger,
        progress: (p) => io.progress({ ...p, pct: p.pct * 0.5 }),
        ...(config.candles.threads > 0 && { threads: config.candles.threads }),
      });
    } catch (err) {
      recordFailedCalibration({ conn, outPath: config.calibrationPath, jobId, logger: io.logger }, err);
      throw err;
    }
    const policy = calibrationPolicyFromConfig(config, currentSlippageMult(conn.sqlite, config.costs.slippageMultMax));
    return runCalibration({ conn, outPath: config.calibrationPath, logger: io.logger, progress: io.progress, signal: io.signal, jobId }, policy);
  });
}
