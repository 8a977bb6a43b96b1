import type { Command } from "commander";
import { abStatus, formatStatus, type AbAction, type AbSummary } from "@mlq/ab";
import { localTaskIo, runAbEvalTask } from "@mlq/tasks";
import { UsageError } from "../errors.js";
import { cliConfig, stderrLogger, withDb } from "../context.js";
import { fmt, printJson, printTable } from "../output.js";
import { queueConfig, runJobCommand } from "../queue-client.js";

interface AbOptions {
  dryRun?: boolean;
  status?: boolean;
  forceSwap?: boolean;
  rollback?: boolean;
  db?: string;
  local?: boolean;
  wait: boolean;
  json?: boolean;
}

export function printAbSummary(s: AbSummary): void {
  process.stdout.write(`A/B run #${s.runId} (${s.action}${s.dryRun ? ", dry run" : ""}), split: ${s.splitMethod ?? "—"}${s.splitBoundaryIso ? ` at ${s.splitBoundaryIso}` : ""}\n`);
  const a = s.armA.metrics;
  const b = s.armB.metrics;
  if (a || b) {
    const metric = (label: string, key: keyof NonNullable<typeof a>) => [label, a?.[key] ?? null, b?.[key] ?? null];
    printTable(null, ["metric", "A v1_backtest", "B v2_paper"], [
      metric("closed trades", "trades"),
      metric("expectancy (% / trade)", "expectancy"),
      metric("Sharpe / trade", "sharpe"),
      metric("Sharpe (annualized)", "sharpeAnnualized"),
      metric("win rate", "winRate"),
      ["profit factor", a?.profitFactorInfinite ? "∞" : (a?.profitFactor ?? null), b?.profitFactorInfinite ? "∞" : (b?.profitFactor ?? null)],
      metric("max drawdown (%)", "maxDrawdown"),
      metric("skewness", "skewness"),
      metric("kurtosis", "kurtosis"),
      metric("PSR (SR > 0)", "psr"),
      metric("MinTRL 95 % (trades)", "minTrackRecord"),
    ]);
  }
  process.stdout.write(`\nP(Sharpe B > Sharpe A) = ${fmt(s.pBBetter)}\n${s.decisionReason}\n`);
  process.stdout.write(`swap executed: ${fmt(s.swapExecuted)}; active arm: ${s.activeArm}${s.activeAfter.versionDir ? ` (${s.activeAfter.versionDir})` : ""}\n`);
  if (s.skippedNullPnl > 0 || s.untaggedTrades > 0) process.stdout.write(`skipped: ${s.skippedNullPnl} trades without pnl_pct, ${s.untaggedTrades} untagged\n`);
}

export function registerAb(program: Command): void {
  program
    .command("ab")
    .description("A/B evaluation of v1_backtest vs v2_paper, swap when B proves better")
    .option("--dry-run", "evaluate and record, never swap")
    .option("--status", "print the active arm, its version, why it was swapped, and the last evaluations")
    .option("--force-swap", "swap to v2_paper whatever the numbers say (recorded as forced)")
    .option("--rollback", "return to the previous arm / version (recorded)")
    .option("--db <path>", "SQLite database, with --local or --status (default $MLQ_DB_PATH; queued jobs use the worker's)")
    .option("--local", "run in this process without Redis")
    .option("--no-wait", "enqueue and return the job id at once")
    .option("--json", "machine-readable output")
    .action(async (opts: AbOptions) => {
      const chosen = [opts.dryRun && "--dry-run", opts.status && "--status", opts.forceSwap && "--force-swap", opts.rollback && "--rollback"].filter(Boolean);
      if (chosen.length > 1) throw new UsageError(`choose one of --dry-run, --status, --force-swap, --rollback (got ${chosen.join(" ")})`);
      if (opts.status) {
        const config = cliConfig({ MLQ_DB_PATH: opts.db });
        const status = await withDb(config.dbPath, (conn) => abStatus(conn, config.modelsDir, { last: 5 }));
        if (opts.json) printJson(status);
        else process.stdout.write(formatStatus(status) + "\n");
        return;
      }
      const action: AbAction = opts.dryRun ? "dry-run" : opts.forceSwap ? "force-swap" : opts.rollback ? "rollback" : "evaluate";
      const config = opts.local ? cliConfig({ MLQ_DB_PATH: opts.db }) : queueConfig({ db: opts.db });
      await runJobCommand<AbSummary>({
        config,
        queue: "ab-eval",
        payload: { action },
        local: opts.local ?? false,
        wait: opts.wait,
        json: opts.json ?? false,
        runLocal: (progress) => runAbEvalTask(config, { action }, localTaskIo(stderrLogger(false), progress)),
        print: printAbSummary,
      });
    });
}
