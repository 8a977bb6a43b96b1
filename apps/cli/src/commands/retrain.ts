import type { Command } from "commander";
import type { Config } from "@mlq/config";
import { openDatabase } from "@mlq/db";
import { listRetrainTrials, type RetrainSummary, type RetrainTrigger } from "@mlq/ml";
import { localTaskIo, runRetrainTask } from "@mlq/tasks";
import { UsageError } from "../errors.js";
import { cliConfig, stderrLogger } from "../context.js";
import { fmt, kv, printTable } from "../output.js";
import { queueConfig, runJobCommand } from "../queue-client.js";
import { childHosts, searchTrainerLine, watchSearch } from "../search-progress.js";

interface RetrainOptions {
  dryRun?: boolean;
  force?: boolean;
  smokeTest?: boolean;
  db?: string;
  local?: boolean;
  wait: boolean;
  json?: boolean;
}

export function triggerFrom(opts: { dryRun?: boolean; force?: boolean; smokeTest?: boolean }): RetrainTrigger {
  const chosen = [opts.dryRun && "--dry-run", opts.force && "--force", opts.smokeTest && "--smoke-test"].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`choose one of --dry-run, --force, --smoke-test (got ${chosen.join(" ")})`);
  return opts.dryRun ? "dry-run" : opts.force ? "force" : opts.smokeTest ? "smoke" : "scheduled";
}

type GateRow = RetrainSummary["gates"][number];

/** One row per gate; the regime gate's per-symbol lines go to their own table (`regimeSymbolRows`). */
export function gateRows(gates: readonly GateRow[]): unknown[][] {
  return gates.map((g) => {
    const details = g.symbols
      ? `${g.symbols.filter((s) => s.passed).length} of ${g.symbols.filter((s) => s.counted).length} symbols cover their own band (per symbol below)`
      : g.details;
    return [g.name, g.passed ? "PASS" : "FAIL", g.value, g.threshold, details];
  });
}

/** The regime gate per symbol: its paper-period vol range against its own history's band. */
export function regimeSymbolRows(gates: readonly GateRow[]): unknown[][] {
  const symbols = gates.find((g) => g.name === "regime_diversity")?.symbols ?? [];
  return symbols.map((s) => [s.symbol, s.counted ? (s.passed ? "PASS" : "FAIL") : "not counted", s.paperMin, s.paperMax, s.historyLo, s.historyHi, s.paperDays, s.historyDays]);
}

/** One row per model; a hit rate only where the run reported one (targets that take both signs). */
export function metricsRows(metrics: Record<string, unknown>): unknown[][] {
  return Object.entries(metrics).map(([name, m]) => {
    const r = m as Record<string, number | null | undefined>;
    if (name === "direction") return [name, `AUC ${fmt(r.auc)}`, `acc ${fmt(r.accuracy)}`, `logloss ${fmt(r.logLoss)}`, ""];
    return [name, `RMSE ${fmt(r.rmse)}`, `MAE ${fmt(r.mae)}`, `R² ${fmt(r.r2)}`, "hitRate" in r ? `hit ${fmt(r.hitRate)}` : ""];
  });
}

/** The search: each model's winner on the inner validation bars, the direction winner's DSR, and where the candidates trained. */
function printSearch(search: NonNullable<RetrainSummary["search"]>, hosts: readonly string[]): void {
  const d = search.deflated;
  printTable(
    `Search (${search.candidates.length} candidates, ${search.trainer}; inner train ${search.inner.trainRows} / validation ${search.inner.validationRows} rows)`,
    ["model", "winner", "rounds", "depth", "eta", "min_child_weight", "subsample", "validation score"],
    Object.entries(search.winners).map(([model, w]) => [
      model,
      `#${w.candidate}`,
      w.params.rounds,
      w.params.maxDepth,
      w.params.eta,
      w.params.minChildWeight ?? "default",
      w.params.subsample,
      `${model === "direction" ? "Sharpe/bar" : "RMSE"} ${fmt(w.score)}`,
    ]),
  );
  process.stdout.write(
    `Deflated Sharpe Ratio of the direction winner: ${fmt(d.dsr)} (Sharpe/bar ${fmt(d.sharpe)} vs SR0 ${fmt(d.expectedMaxSharpe)}; N ${d.trials}, effective ${fmt(d.effectiveTrials)}, ρ̄ ${fmt(d.averageCorrelation)}; ${search.passed ? "passes" : "below"} MLQ_SEARCH_MIN_DSR ${search.minDsr}${search.candidates.length === 1 ? ", not enforced for one candidate" : ""})\n`,
  );
  process.stdout.write(`${searchTrainerLine(search.trainer, search.hosts ?? hosts)}\n`);
}

/** The hosts in a run's trials (empty when the database cannot be read here). */
export function trialHosts(dbPath: string, runId: number): string[] {
  try {
    const conn = openDatabase(dbPath, { readonly: true });
    try {
      return [...new Set(listRetrainTrials(conn, runId).map((t) => t.host))].sort();
    } finally {
      conn.close();
    }
  } catch {
    return [];
  }
}

/** `hosts`: where the search's candidates trained (the flow's children, or the run's trials). */
export function printRetrainSummary(s: RetrainSummary, hosts: readonly string[] = []): void {
  process.stdout.write(`retrain run #${s.runId} (${s.trigger}): ${s.outcome}\n${s.message}\n`);
  printTable("Gates", ["gate", "result", "value", "threshold", "details"], gateRows(s.gates));
  const symbols = regimeSymbolRows(s.gates);
  if (symbols.length > 0)
    printTable("regime_diversity per symbol (daily vol, annualized %)", ["symbol", "result", "paper min", "paper max", "band lo", "band hi", "paper days", "history days"], symbols);
  if (s.candles) {
    printTable(
      `Candles (${fmt(s.candles.rowsWritten)} written, ${fmt(s.candles.ticksRead)} ticks read, ${fmt(s.candles.skippedTicks)} bad ticks skipped)`,
      ["symbol", "1m candles", "from", "to"],
      s.candles.coverage.map((c) => [c.symbol, c.rows, c.firstTsMs ? new Date(c.firstTsMs).toISOString() : null, c.lastTsMs ? new Date(c.lastTsMs).toISOString() : null]),
    );
  }
  if (s.search) printSearch(s.search, hosts);
  if (s.metrics) printTable("Test metrics", ["model", "", "", "", ""], metricsRows(s.metrics));
  const facts: [string, unknown][] = [];
  if (s.slippageMult !== undefined) facts.push(["slippage_mult", `${fmt(s.slippageMult)} (${s.slippageMultReason ?? ""})`]);
  if (s.trainingRows !== undefined) facts.push(["train / test rows", `${s.trainingRows} / ${s.testRows ?? "—"} (dropped ${s.droppedRows ?? 0} non-finite)`]);
  if (s.embargoHours !== undefined) facts.push(["embargo", `${fmt(s.embargoHours)} h`]);
  if (s.modelDir) facts.push(["version dir", s.modelDir]);
  if (s.registered) facts.push(["role", `${s.registered.role}${s.registered.alpha !== null ? ` (α_k ${s.registered.alpha})` : ""}${s.registered.skipped.length ? `; skipped ${s.registered.skipped.join(", ")}` : ""} — trigger ${s.trigger}`]);
  else if (s.outcome === "trained") facts.push(["role", `none: a ${s.trigger} run never registers its set`]);
  if (s.v1BacktestEstablished) facts.push(["v1_backtest", "established from this first trained set"]);
  facts.push(["duration", `${s.durationSec.toFixed(1)} s (${Object.entries(s.stageMs).map(([k, v]) => `${k} ${v} ms`).join(", ")})`]);
  process.stdout.write("\n" + kv(facts) + "\n");
}

export function registerRetrain(program: Command): void {
  program
    .command("retrain")
    .description("gated retrain of the five models (enqueued on the retrain queue unless --local)")
    .option("--dry-run", "check the gates and report what would be trained, without training")
    .option("--force", "skip the gates (they are still evaluated and logged)")
    .option("--smoke-test", "use the relaxed smoke thresholds")
    .option("--db <path>", "SQLite database, with --local (default $MLQ_DB_PATH; queued jobs use the worker's)")
    .option("--local", "run in this process without Redis")
    .option("--no-wait", "enqueue and return the job id at once")
    .option("--wait", "wait for the job's result (default)")
    .option("--json", "machine-readable output")
    .action(async (opts: RetrainOptions) => {
      const trigger = triggerFrom(opts);
      const config: Config = opts.local ? cliConfig({ MLQ_DB_PATH: opts.db }) : queueConfig({ db: opts.db });
      let hosts: string[] = [];
      await runJobCommand<RetrainSummary>({
        config,
        queue: "retrain",
        payload: { trigger },
        local: opts.local ?? false,
        wait: opts.wait,
        json: opts.json ?? false,
        runLocal: async (progress) => {
          const summary = await runRetrainTask(config, { trigger }, localTaskIo(stderrLogger(false), progress));
          if (summary.search && !opts.json) hosts = trialHosts(config.dbPath, summary.runId);
          return summary;
        },
        // A search as a flow: its children's progress while the retrain waits for them.
        watch: (producer, jobId) =>
          watchSearch({
            retrain: producer.queues.retrain,
            train: producer.queues.train,
            prefix: config.queuePrefix,
            jobId,
            write: (line) => process.stderr.write(`${line}\n`),
          }),
        completed: async (producer, jobId, summary) => {
          if (!summary.search) return;
          const job = summary.search.trainer === "flow" ? await producer.queues.retrain.getJob(jobId) : undefined;
          hosts = job ? await childHosts(job) : trialHosts(config.dbPath, summary.runId);
        },
        print: (summary) => printRetrainSummary(summary, hosts),
      });
    });
}
