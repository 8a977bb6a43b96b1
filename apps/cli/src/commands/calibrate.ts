import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { CalibrationFileSchema, type BucketStatsFile, type CalibrationSummary } from "@mlq/calibration";
import { localTaskIo, runCalibrateTask } from "@mlq/tasks";
import { cliConfig, stderrLogger } from "../context.js";
import { fmt, kv, printTable } from "../output.js";
import { queueConfig, runJobCommand } from "../queue-client.js";

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
    .option("--db <path>", "SQLite database, with --local (default $MLQ_DB_PATH; queued jobs use the worker's)")
    .option("--out <path>", "calibration JSON, with --local (default $MLQ_CALIBRATION_PATH; queued jobs use the worker's)")
    .option("--local", "run in this process without Redis")
    .option("--no-wait", "enqueue and return the job id at once")
    .option("--json", "machine-readable output")
    .action(async (opts: { db?: string; out?: string; local?: boolean; wait: boolean; json?: boolean }) => {
      const config = opts.local ? cliConfig({ MLQ_DB_PATH: opts.db, MLQ_CALIBRATION_PATH: opts.out }) : queueConfig({ db: opts.db, out: opts.out });
      await runJobCommand<CalibrationSummary>({
        config,
        queue: "calibrate",
        payload: {},
        local: opts.local ?? false,
        wait: opts.wait,
        json: opts.json ?? false,
        runLocal: (progress) => runCalibrateTask(config, {}, localTaskIo(stderrLogger(false), progress)),
        print: printCalibrationSummary,
      });
    });
}
