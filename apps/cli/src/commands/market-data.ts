import type { Command } from "commander";
import { openDatabase, openMigrated } from "@mlq/db";
import { materializeCandlesAsync, sampleTicks } from "@mlq/market-data";
import { positiveInt, positiveNumber } from "../errors.js";
import { cliConfig } from "../context.js";
import { kv, printJson } from "../output.js";
import { progressBar } from "../progress.js";

/** Page cache for `ticks sample`: enough for the B-tree's interior pages along the seeks. */
const SAMPLE_CACHE_KB = 512;

export function registerMarketData(program: Command): void {
  const ticks = program.command("ticks").description("quick looks at the ticks table");
  ticks
    .command("sample")
    .description("stride-sample ticks from a time window (binary search over rowid + point lookups)")
    .option("--db <path>", "SQLite database (default $MLQ_DB_PATH)")
    .option("--n <count>", "ticks wanted", positiveInt("--n"), 10_000)
    .option("--window-days <days>", "window ending at the newest tick", positiveNumber("--window-days"), 14)
    .option("--symbol <symbol>", "only this symbol")
    .option("--json", "machine-readable output")
    .action((opts: { db?: string; n: number; windowDays: number; symbol?: string; json?: boolean }) => {
      const config = cliConfig({ MLQ_DB_PATH: opts.db });
      // One fresh process reads each sampled page once: a memory map would fault ~10,000 times
      // (and map ~650 MB around them), and a large page cache costs a fault per fresh page.
      const conn = openDatabase(config.dbPath, { readonly: true, cacheKb: SAMPLE_CACHE_KB });
      try {
        const t0 = performance.now();
        const sample = sampleTicks(conn.sqlite, { n: opts.n, windowDays: opts.windowDays, ...(opts.symbol && { symbol: opts.symbol }) });
        const ms = performance.now() - t0;
        const out = {
          db: conn.path,
          sampled: sample?.ticks.length ?? 0,
          window: sample?.window ? { from: new Date(sample.window.fromMs).toISOString(), to: new Date(sample.window.toMs).toISOString(), startRowid: sample.window.startRowid, endRowid: sample.window.endRowid } : null,
          probes: sample?.probes ?? 0,
          ms: Math.round(ms * 100) / 100,
          first: sample?.ticks[0] ?? null,
          last: sample?.ticks.at(-1) ?? null,
        };
        if (opts.json) printJson(out);
        else
          process.stdout.write(
            kv([
              ["ticks sampled", out.sampled],
              ["window", out.window ? `${out.window.from} → ${out.window.to} (rowid ${out.window.startRowid}..${out.window.endRowid})` : "no ticks in the window"],
              ["point lookups", out.probes],
              ["took", `${out.ms} ms`],
            ]) + "\n",
          );
      } finally {
        conn.close();
      }
    });

  program
    .command("candles")
    .description("exact 1-minute candles")
    .command("build")
    .description("materialize candles_1m incrementally from the per-symbol watermark")
    .option("--db <path>", "SQLite database (default $MLQ_DB_PATH)")
    .option("--threads <count>", "worker threads reading ticks for a large build (default $MLQ_CANDLE_THREADS, else one per core)", positiveInt("--threads"))
    .option("--json", "machine-readable output")
    .action(async (opts: { db?: string; threads?: number; json?: boolean }) => {
      const config = cliConfig({ MLQ_DB_PATH: opts.db, MLQ_CANDLE_THREADS: opts.threads });
      const conn = openMigrated(config.dbPath);
      const bar = progressBar(!opts.json);
      try {
        const r = await materializeCandlesAsync(conn, { progress: bar.update, ...(config.candles.threads > 0 && { threads: config.candles.threads }) });
        bar.stop();
        if (opts.json) printJson(r);
        else
          process.stdout.write(
            kv([
              ["candle rows written", r.rowsWritten],
              ["ticks read", r.ticksRead],
              ["bad ticks skipped", r.skippedTicks],
              ["symbols", r.symbols],
              ["took", `${(r.durationMs / 1000).toFixed(2)} s`],
            ]) + "\n",
          );
      } finally {
        bar.stop();
        conn.close();
      }
    });
}
