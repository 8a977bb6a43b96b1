import type { Command } from "commander";
import { openMigrated, tableExists } from "@mlq/db";
import { cliConfig } from "../context.js";
import { printJson } from "../output.js";

export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("create or update mlq's tables in the database (never touches ticks or paper_trades rows)")
    .option("--db <path>", "SQLite database (default $MLQ_DB_PATH)")
    .option("--create", "create the database file when it does not exist")
    .option("--json", "machine-readable output")
    .action((opts: { db?: string; create?: boolean; json?: boolean }) => {
      const config = cliConfig({ MLQ_DB_PATH: opts.db });
      const conn = openMigrated(config.dbPath, { create: opts.create ?? false });
      try {
        const tables = ["ticks", "paper_trades", "phase2_retrain_runs", "phase2_gate_log", "ab_test_runs", "ab_active_model", "calibration_runs", "candles_1m", "candles_1m_watermark"];
        const present = tables.filter((t) => tableExists(conn.sqlite, t));
        if (opts.json) printJson({ db: conn.path, tables: present });
        else process.stdout.write(`migrated ${conn.path}: ${present.length} tables present\n`);
      } finally {
        conn.close();
      }
    });
}
