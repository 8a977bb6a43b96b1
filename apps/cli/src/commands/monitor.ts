import type { Command } from "commander";
import { localTaskIo, runMonitorTask, type MonitorTaskSummary } from "@mlq/tasks";
import { cliConfig, stderrLogger } from "../context.js";
import { fmt, kv } from "../output.js";
import { queueConfig, runJobCommand } from "../queue-client.js";

export function printMonitorSummary(s: MonitorTaskSummary): void {
  const left = Object.entries(s.leftOut)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  process.stdout.write(
    kv([
      ["champion", s.champion === null ? "none" : `${s.champion} since ${s.championSinceIso}${s.pinned ? " (pinned)" : ""}`],
      ["previous champion", s.previousChampion ?? "none"],
      [
        "trades watched",
        `${s.trades}${s.selection ? ` (${s.selection === "untagged" ? "untagged" : `by ${s.selection}`})` : ""}${left ? `; left out: ${left}` : ""}`,
      ],
      ["CUSUM statistic", `${fmt(s.statistic)} (peak ${fmt(s.peak)}) vs threshold ${fmt(s.threshold)} σ`],
      ["alarm", s.alarmTrade ? `yes, at trade #${s.alarmTrade.id} (closed ${s.alarmTrade.closedIso})` : "no"],
      ["action", s.rollbackRunId === null ? s.action : `${s.action} (A/B run #${s.rollbackRunId})`],
      ["champion now", s.championAfter ?? "none"],
    ]) + `\n\n${s.reason}\n`,
  );
  const d = s.drift;
  if (!d) return;
  if (d.status === "failed") {
    process.stdout.write(`\n${kv([["drift", `failed: ${d.error}`]])}\n`);
    return;
  }
  process.stdout.write(
    "\n" +
      kv([
        ["drift check", `#${d.checkId}: ${d.status}${d.windowFromIso ? ` (window ${d.windowFromIso} to ${d.windowToIso})` : ""}`],
        ["drift triggered", d.triggered ? "yes" : "no"],
        ["drift action", d.retrainJobId ? `${d.action} (retrain job ${d.retrainJobId})` : d.action],
      ]) +
      `\n\n${d.reason}\n`,
  );
}

export function registerMonitor(program: Command): void {
  program
    .command("monitor")
    .description("watch the champion once: decay (CUSUM; roll back on an alarm) and feature drift (PSI; a drift retrain when it fires)")
    .option("--db <path>", "SQLite database, with --local (default $MLQ_DB_PATH; queued jobs use the worker's)")
    .option("--local", "run in this process without Redis")
    .option("--no-wait", "enqueue and return the job id at once")
    .option("--json", "machine-readable output")
    .action(async (opts: { db?: string; local?: boolean; wait: boolean; json?: boolean }) => {
      const config = opts.local ? cliConfig({ MLQ_DB_PATH: opts.db }) : queueConfig({ db: opts.db });
      await runJobCommand<MonitorTaskSummary>({
        config,
        queue: "monitor",
        payload: {},
        local: opts.local ?? false,
        wait: opts.wait,
        json: opts.json ?? false,
        runLocal: (progress) => runMonitorTask(config, {}, localTaskIo(stderrLogger(false), progress)),
        print: printMonitorSummary,
      });
    });
}
