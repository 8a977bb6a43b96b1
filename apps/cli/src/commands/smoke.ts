import type { Command } from "commander";
import { mkdirSync } from "node:fs";
import { cliConfig } from "../context.js";
import { printJson } from "../output.js";
import { runSmoke } from "../smoke.js";

export function registerSmoke(program: Command): void {
  program
    .command("smoke")
    .description("the six checks: gates, features + training, A/B, calibration, DB integrity, file outputs (exit 0 only when all pass)")
    .option("--db <path>", "SQLite database (default $MLQ_DB_PATH)")
    .option("--json", "machine-readable output")
    .action(async (opts: { db?: string; json?: boolean }) => {
      const config = cliConfig({ MLQ_DB_PATH: opts.db });
      mkdirSync(config.logsDir, { recursive: true });
      const results = await runSmoke(config, (c) => {
        if (!opts.json) process.stdout.write(`${c.passed ? "✓" : "✗"} ${c.name.padEnd(20)} ${c.detail}\n`);
      });
      const passed = results.filter((r) => r.passed).length;
      if (opts.json) printJson({ passed, total: results.length, checks: results });
      else process.stdout.write(`\n${passed}/${results.length} checks passed\n`);
      process.exitCode = passed === results.length ? 0 : 1;
    });
}
