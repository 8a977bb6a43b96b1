// What every command needs: the validated config (with --db and friends applied on top of the
// environment) and a logger. Only the CLI's entry calls loadConfig.
import { loadConfig, type Config } from "@mlq/config";
import type { Logger } from "@mlq/core";

export interface GlobalOptions {
  verbose?: boolean;
  json?: boolean;
}

export function cliConfig(overrides: Record<string, string | number | boolean | undefined> = {}): Config {
  const clean: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) clean[k] = v;
  return loadConfig(process.env, clean);
}

/** Human-facing logger for --local runs: progress and warnings on stderr, nothing on stdout. */
export function stderrLogger(verbose = false): Logger {
  const line = (level: string, msg: string, fields?: Record<string, unknown>) => {
    const extra = fields && Object.keys(fields).length > 0 ? " " + JSON.stringify(fields) : "";
    process.stderr.write(`${level} ${msg}${extra}\n`);
  };
  return {
    debug: (m, f) => verbose && line("debug", m, f),
    info: (m, f) => verbose && line("info ", m, f),
    warn: (m, f) => line("warn ", m, f),
    error: (m, f) => line("error", m, f),
  };
}

/** Opens and migrates the database for one command, and always closes it. */
export { withMigrated as withDb } from "@mlq/db";
