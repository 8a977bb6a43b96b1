import type { Command } from "commander";
import { abStatus, formatStatus, type AbAction, type AbSummary } from "@mlq/ab";
import { abPolicyFromConfig, localTaskIo, runAbEvalTask } from "@mlq/tasks";
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
  process.stdout.write(
    `A/B run #${s.runId} (${s.action}${s.dryRun ? ", dry run" : ""}) → ${s.outcome}; now champion ${s.champion ?? "none"}, challenger ${s.challenger ?? "none"}${s.splitMethod ? `, trades by ${s.splitMethod}` : ""}\n`,
  );
  const a = s.armA.metrics;
  const b = s.armB.metrics;
  if (a || b) {
    const metric = (label: string, key: keyof NonNullable<typeof a>) => [label, a?.[key] ?? null, b?.[key] ?? null];
    printTable(null, ["metric", `A champion ${s.armA.version ?? ""}`, `B challenger ${s.armB.version ?? ""}`], [
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
  if (s.conditions.length)
    printTable("Decision", ["condition", "value", "threshold", "passed"], s.conditions.map((c) => [c.name, c.value, c.threshold, c.passed ? "✓" : "✗"]));
  const e = s.evaluation;
  if (e.startIso)
    process.stdout.write(
      `evaluation since ${e.startIso}, expires ${e.expiresIso}${e.expired ? " (EXPIRED)" : ""}; α_k ${fmt(e.alphaK)}, n_max ${fmt(e.nMaxPerArm)} trades/arm` +
        (e.look !== null ? `; look ${e.look} at information ${fmt(e.informationFraction)}: z ${fmt(e.z)} vs boundary ${e.boundary === null ? "∞" : fmt(e.boundary)}` : "") +
        "\n",
    );
  process.stdout.write(`\n${s.decisionReason}\n`);
  if (s.roleChanges.length) process.stdout.write(`role changes: ${s.roleChanges.join(", ")}\n`);
  process.stdout.write(`active: ${s.activeArm}${s.activeAfter.version ? ` version ${s.activeAfter.version}` : ""}${s.pinned ? " (pinned)" : ""}; waiting candidates: ${s.waitingCandidates.join(", ") || "none"}\n`);
  const att = s.attribution;
  const skipped = [
    s.skippedNullPnl && `${s.skippedNullPnl} without pnl_pct`,
    s.skippedNoOpenTime && `${s.skippedNoOpenTime} without opened_ts_ms`,
    att?.unknownVersion && `${att.unknownVersion} naming unknown versions (${att.unknownVersions.join(", ")})`,
    att?.untaggedLeftOut && `${att.untaggedLeftOut} untagged among tagged trades`,
    att?.unknownArm && `${att.unknownArm} with an unknown model_arm`,
  ].filter(Boolean);
  if (skipped.length) process.stdout.write(`trades left out: ${skipped.join("; ")}\n`);
}

export function registerAb(program: Command): void {
  program
    .command("ab")
    .description("A/B look at the challenger (v2_paper) against the champion; promote when the sequential test says so")
    .option("--dry-run", "evaluate and record, change no role")
    .option("--status", "print the roles, the evaluation in progress and the last runs")
    .option("--force-swap", "make the challenger (else the newest candidate) champion whatever the numbers say (recorded as forced)")
    .option("--rollback", "return to the previous champion (recorded; the rolled-back version must win a new A/B)")
    .option("--db <path>", "SQLite database, with --local or --status (default $MLQ_DB_PATH; queued jobs use the worker's)")
    .option("--local", "run in this process without Redis")
    .option("--no-wait", "enqueue and return the job id at once")
    .option("--json", "machine-readable output")
    .action(async (opts: AbOptions) => {
      const chosen = [opts.dryRun && "--dry-run", opts.status && "--status", opts.forceSwap && "--force-swap", opts.rollback && "--rollback"].filter(Boolean);
      if (chosen.length > 1) throw new UsageError(`choose one of --dry-run, --status, --force-swap, --rollback (got ${chosen.join(" ")})`);
      if (opts.status) {
        const config = cliConfig({ MLQ_DB_PATH: opts.db });
        const status = await withDb(config.dbPath, (conn) => abStatus(conn, config.modelsDir, { last: 5, policy: abPolicyFromConfig(config) }));
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
