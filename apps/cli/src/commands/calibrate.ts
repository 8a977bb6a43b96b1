import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { CalibrationFileSchema, calibrationPolicyFromConfig, runCalibration, type BucketStatsFile, type CalibrationSummary } from "@mlq/calibration";
import { currentSlippageMult } from "@mlq/ml";
import { materializeCandlesAsync } from "@mlq/market-data";
import { cliConfig, stderrLogger, withDb } from "../context.js";
import { fmt, kv, printTable } from "../output.js";
import { runJobCommand } from "../queue-client.js";

export function printCalibrationSummary(s: CalibrationSummary): void {
  process.stdout.write(
    kv([
      ["run", s.runId],
      ["trades analyzed", s.tradesAnalyzed],
      ["EMA slippage / side", s.emaSlippagePerSidePct === null ? "— (no trades)" : `${fmt(s.emaSlippagePerSidePct)} %`],
      ["× assumed", s.slippageRatio],
      ["position size ×", s.positionSizeMultiplier],
      ["regime method", `candles ${s.regimeMethod.candles}, pnl proxy ${s.regimeMethod.pnl_proxy}`],
      ["skipped", Object.entries(s.skipped).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ") || "none"],
      ["written", s.outPath],
      ["took", `${s.durationMs.toFixed(0)} ms`],
    ]) + "\n",
  );
  // The worker may run on another host; the bucket tables come from the file when it is here.
  const file = existsSync(s.outPath) ? CalibrationFileSchema.safeParse(JSON.parse(readFileSync(s.outPath, "utf8"))) : null;
  if (file?.success) {
    const rows = (o: Record<string, BucketStatsFile>) =>
      Object.entries(o).map(([k, b]) => [k, b.trades, b.ema_slippage_per_side_pct, b.slippage_ratio, b.position_size_multiplier, b.inherited ? "inherits overall" : ""]);
    printTable("By time of day (UTC)", ["bucket", "trades", "EMA slip %", "× assumed", "size ×", ""], rows(file.data.time_of_day));
    printTable("By regime", ["regime", "trades", "EMA slip %", "× assumed", "size ×", ""], rows(file.data.regime_slippage));
  }
  if (s.recommendations.length) process.stdout.write("\nRecommendations\n" + s.recommendations.map((r) => `- ${r}`).join("\n") + "\n");
}

export function registerCalibrate(program: Command): void {
  program
    .command("calibrate")
    .description("measure execution slippage and write execution_calibration.json")
    .option("--db <path>", "SQLite database (default $MLQ_DB_PATH)")
    .option("--out <path>", "calibration JSON (default $MLQ_CALIBRATION_PATH)")
    .option("--local", "run in this process without Redis")
    .option("--no-wait", "enqueue and return the job id at once")
    .option("--json", "machine-readable output")
    .action(async (opts: { db?: string; out?: string; local?: boolean; wait: boolean; json?: boolean }) => {
      const config = cliConfig({ MLQ_DB_PATH: opts.db, MLQ_CALIBRATION_PATH: opts.out });
      await runJobCommand<CalibrationSummary>({
        config,
        queue: "calibrate",
        payload: { ...(opts.db && { dbPath: opts.db }), ...(opts.out && { outPath: opts.out }) },
        local: opts.local ?? false,
        wait: opts.wait,
        json: opts.json ?? false,
        runLocal: (progress) =>
          withDb(config.dbPath, async (conn) => {
            await materializeCandlesAsync(conn, { progress: (p) => progress({ ...p, pct: p.pct * 0.5 }) });
            const policy = calibrationPolicyFromConfig(config, currentSlippageMult(conn.sqlite, config.costs.slippageMultMax));
            return runCalibration({ conn, outPath: config.calibrationPath, logger: stderrLogger(false), progress }, policy);
          }),
        print: printCalibrationSummary,
      });
    });
}
