import type { Command } from "commander";
import { generateDemoDatabase } from "@mlq/demo-data";
import { positiveInt } from "../errors.js";
import { kv, printJson } from "../output.js";
import { progressBar } from "../progress.js";

interface DemoDataOptions {
  out: string;
  ticks?: number;
  trades?: number;
  days?: number;
  symbols?: string;
  seed?: number;
  arms?: boolean;
  force?: boolean;
  json?: boolean;
}

export function registerDemoData(program: Command): void {
  program
    .command("demo-data")
    .description("write a realistic synthetic trading database (regime-switching ticks, paper trades with slippage)")
    .requiredOption("--out <path>", "database file to create")
    .option("--ticks <n>", "number of ticks", positiveInt("--ticks"))
    .option("--trades <n>", "number of paper trades", positiveInt("--trades"))
    .option("--days <n>", "days of history", positiveInt("--days"))
    .option("--symbols <list>", "comma-separated symbols, e.g. BTC-USDT,ETH-USDT")
    .option("--seed <n>", "random seed (same seed, same database)", positiveInt("--seed"))
    .option("--arms", "tag paper trades with model_arm (v1_backtest / v2_paper)")
    .option("--no-arms", "leave model_arm NULL (A/B then splits temporally)")
    .option("--force", "overwrite an existing file")
    .option("--json", "machine-readable output")
    .action(async (opts: DemoDataOptions) => {
      const bar = progressBar(!opts.json);
      try {
        const summary = await generateDemoDatabase(
          {
            out: opts.out,
            ...(opts.ticks !== undefined && { ticks: opts.ticks }),
            ...(opts.trades !== undefined && { trades: opts.trades }),
            ...(opts.days !== undefined && { days: opts.days }),
            ...(opts.symbols !== undefined && { symbols: opts.symbols.split(",").map((s) => s.trim()).filter(Boolean) }),
            ...(opts.seed !== undefined && { seed: opts.seed }),
            ...(opts.arms !== undefined && { arms: opts.arms }),
            overwrite: opts.force ?? false,
          },
          { progress: bar.update },
        );
        bar.stop();
        if (opts.json) printJson(summary);
        else {
          const secs = summary.durationMs / 1000;
          process.stdout.write(
            kv([
              ["database", summary.path],
              ["ticks", summary.ticks],
              ["paper trades", `${summary.trades} (${summary.closedTrades} closed)`],
              ["symbols", summary.symbols.join(", ")],
              ["from", new Date(summary.fromMs).toISOString()],
              ["to", new Date(summary.toMs).toISOString()],
              ["took", `${secs.toFixed(1)} s (${Math.round(summary.ticks / Math.max(secs, 1e-3)).toLocaleString("en-US")} ticks/s)`],
            ]) + "\n",
          );
        }
      } finally {
        bar.stop();
      }
    });
}
