#!/usr/bin/env node
// The `mlq` command: one entry, one module per command under commands/.
import { Command, CommanderError } from "commander";
import { ConfigValidationError } from "@mlq/config";
import { errorMessage } from "@mlq/core";
import { exitCodeFor } from "./errors.js";

// `mlq jobs | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

const program = new Command("mlq")
  .description("Model lifecycle jobs for the trading bot: gated retrains, A/B promotion, execution calibration.")
  .option("--verbose", "show debug logs and stack traces")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();
program.configureOutput({ outputError: (str, write) => write(str) });
// `mlq ticks …` and `mlq candles …` load only their own module: importing every command's
// dependencies (BullMQ, the trainer, …) tripled the start-up of a quick look at the ticks.
const quick = process.argv[2] === "ticks" || process.argv[2] === "candles";
const register = quick ? (await import("./commands/market-data.js")).registerMarketData : (await import("./commands/index.js")).registerCommands;
register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end here with exit code 0; every parsing error is a usage error.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    const verbose = program.opts<{ verbose?: boolean }>().verbose === true || process.argv.includes("--verbose");
    if (err instanceof ConfigValidationError) process.stderr.write(`mlq: ${err.message}\n`);
    else process.stderr.write(`mlq: ${errorMessage(err)}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(err.stack + "\n");
    process.exitCode = err instanceof ConfigValidationError ? 2 : exitCodeFor(err);
    // A failed command may leave a reconnecting Redis client behind: do not wait for it.
    process.exit();
  }
}
