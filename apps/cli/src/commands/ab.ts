import type { Command } from "commander";
import { abStatus, formatStatus, type AbAction, type AbSummary, type ShadowSummary } from "@mlq/ab";
import { abPolicyFromConfig, localTaskIo, runAbEvalTask, runShadowTask } from "@mlq/tasks";
import { UsageError } from "../errors.js";
import { cliConfig, stderrLogger, withDb } from "../context.js";
import { fmt, printJson, printTable } from "../output.js";
import { queueConfig, runJobCommand } from "../queue-client.js";

interface AbOptions {
  dryRun?: boolean;
  status?: boolean;
  shadow?: boolean;
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
  if (s.shadow) printShadow(s.shadow);
  if (s.conditions.length)
    printTable(`Decision (${s.evidence === "shadow" ? "shadow series alone, MLQ_AB_EVIDENCE=shadow" : "paper trades"})`, ["condition", "value", "threshold", "passed"], s.conditions.map((c) => [c.name, c.value, c.threshold, c.passed ? "✓" : "✗"]));
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

/** The paired shadow evaluation: both versions on the same bars, the test's numbers, or why there are none. */
export function printShadow(s: ShadowSummary & { id: number }): void {
  const window = s.windowStartMs === null ? "" : ` on ${s.bars} bars of ${s.symbols.join(", ") || "no symbol"} since ${new Date(s.windowStartMs).toISOString()}`;
  process.stdout.write(`\nshadow evaluation #${s.id}: champion ${s.versionA} vs challenger ${s.versionB}${window} → ${s.status}${s.reason ? `: ${s.reason}` : ""}\n`);
  if (s.status !== "ok") return;
  printTable(null, ["shadow (per bar)", `A ${s.versionA}`, `B ${s.versionB}`], [
    ["entry threshold", s.thresholds.a, s.thresholds.b],
    ["trades", s.tradesA, s.tradesB],
    ["mean return", s.meanA, s.meanB],
    ["Sharpe", s.sharpeA, s.sharpeB],
  ]);
  process.stdout.write(
    `difference ${fmt(s.difference)}, correlation ${fmt(s.correlation)}; Jobson–Korkie–Memmel z ${fmt(s.jkmZ)}, HAC z ${fmt(s.hacZ)}; ` +
      `block bootstrap (b = ${s.method.blockLength ?? "?"}, ${s.method.resamples} resamples): p(B no better) ${fmt(s.pBetter)}, p(B no worse) ${fmt(s.pWorse)}` +
      `${s.testStatus && s.testStatus !== "ok" ? ` [${s.testStatus}]` : ""}\n`,
  );
}

export function registerAb(program: Command): void {
  program
    .command("ab")
    .description("A/B look at the challenger (v2_paper) against the champion; promote when the sequential test says so")
    .option("--dry-run", "evaluate and record, change no role")
    .option("--status", "print the roles, the evaluation in progress and the last runs")
    .option("--shadow", "run only the paired shadow evaluation of champion and challenger, in this process, and record it")
    .option("--force-swap", "make the challenger (else the newest candidate) champion whatever the numbers say (recorded as forced)")
    .option("--rollback", "return to the previous champion (recorded; the rolled-back version must win a new A/B)")
    .option("--db <path>", "SQLite database, with --local or --status (default $MLQ_DB_PATH; queued jobs use the worker's)")
    .option("--local", "run in this process without Redis")
    .option("--no-wait", "enqueue and return the job id at once")
    .option("--json", "machine-readable output")
    .action(async (opts: AbOptions) => {
      const chosen = [opts.dryRun && "--dry-run", opts.status && "--status", opts.shadow && "--shadow", opts.forceSwap && "--force-swap", opts.rollback && "--rollback"].filter(Boolean);
      if (chosen.length > 1) throw new UsageError(`choose one of --dry-run, --status, --shadow, --force-swap, --rollback (got ${chosen.join(" ")})`);
      if (opts.shadow) {
        const config = cliConfig({ MLQ_DB_PATH: opts.db });
        const shadow = await runShadowTask(config, localTaskIo(stderrLogger(false), () => undefined));
        if (opts.json) printJson(shadow ?? { status: "idle", reason: "no champion and challenger to compare" });
        else if (shadow) printShadow(shadow);
        else process.stdout.write("shadow evaluation: nothing to compare (no champion and challenger)\n");
        return;
      }
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
