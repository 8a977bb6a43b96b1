// README command one: a demo database, real workers, and the daily cycle through the real
// queues: calibrate -> forced retrain -> A/B evaluation, each awaited with its summary printed.
// Before the queues run, the bot's past is replayed in-process: a retrain as of the start of
// paper trading made the first champion, one a day later the challenger the bot has paper-traded
// since; so today's A/B has a real evaluation to decide.
import type { Command } from "commander";
import { mkdirSync, rmSync } from "node:fs";
import { resolve, join } from "node:path";
import { DAY_MS, isoUtc, silentLogger } from "@mlq/core";
import { withMigrated } from "@mlq/db";
import { generateDemoDatabase } from "@mlq/demo-data";
import { runRetrain } from "@mlq/ml";
import type { QueueName } from "@mlq/jobs";
import type { RetrainSummary } from "@mlq/ml";
import type { AbSummary } from "@mlq/ab";
import type { CalibrationSummary } from "@mlq/calibration";
import { cliConfig } from "../context.js";
import { progressBar } from "../progress.js";
import { withProducer } from "../queue-client.js";
import { supervise } from "../supervisor.js";
import { printRetrainSummary } from "./retrain.js";
import { printAbSummary } from "./ab.js";
import { printCalibrationSummary } from "./calibrate.js";

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("generate a demo database and run calibrate -> forced retrain -> A/B through real queues and workers")
    .option("--dir <path>", "where the demo database, models and logs go", ".mlq/demo")
    .option("--seed <n>", "demo data seed", (v) => Number(v), 42)
    .action(async (opts: { dir: string; seed: number }) => {
      const t0 = performance.now();
      const dir = resolve(opts.dir);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const env: Record<string, string> = {
        MLQ_DB_PATH: join(dir, "trading.db"),
        MLQ_MODELS_DIR: join(dir, "models"),
        MLQ_LOGS_DIR: join(dir, "logs"),
        MLQ_CALIBRATION_PATH: join(dir, "execution_calibration.json"),
        MLQ_QUEUE_PREFIX: process.env.MLQ_QUEUE_PREFIX || "{mlq-demo}",
      };

      step("1/5 demo database");
      const bar = progressBar(true);
      const demo = await generateDemoDatabase({ out: env.MLQ_DB_PATH!, seed: opts.seed, trades: 1200, arms: true, overwrite: true }, { progress: bar.update });
      bar.stop();
      process.stdout.write(`${demo.path}: ${demo.ticks.toLocaleString("en-US")} ticks, ${demo.closedTrades} closed paper trades, ${demo.symbols.join(", ")}\n`);

      step("2/5 the bot's history, replayed in-process");
      const history = await replayHistory(env, demo.toMs);
      // The challenger's evaluation window: long enough that today's look is not its last.
      env.MLQ_CHALLENGER_MAX_DAYS = String(history.challengerMaxDays);
      const config = cliConfig(env);
      process.stdout.write(
        `version ${history.champion}: retrained as of ${isoUtc(history.championAtMs)} -> champion (the bot trades it live, model_arm v1_backtest)\n` +
          `version ${history.challenger}: retrained as of ${isoUtc(history.challengerAtMs)} -> challenger (paper-traded since, model_arm v2_paper)\n` +
          `MLQ_CHALLENGER_MAX_DAYS=${history.challengerMaxDays} for the demo: today's look is look 1 of that evaluation\n`,
      );

      // worker-train: the retrain's search candidates go through the train queue as a BullMQ flow (MLQ_SEARCH_TRAINER=auto finds it).
      const workers = supervise(["worker-calibrate", "worker-retrain", "worker-train", "worker-ab"], { env: { ...process.env, ...env, REDIS_URL: config.redisUrl }, restart: false, stdio: "ignore" });
      try {
        await withProducer(config, async (producer) => {
          const run = async <S>(queue: QueueName, payload: Record<string, unknown>, print: (s: S) => void): Promise<void> => {
            const res = await producer.enqueue(queue, { ...payload, requestedBy: "mlq demo" });
            const jobBar = progressBar(true);
            const result = await producer.waitForJob(queue, res.jobId, {
              timeoutMs: 10 * 60_000,
              onProgress: (p) => {
                const pr = p as { stage?: string; pct?: number; detail?: string } | null;
                if (pr && typeof pr.pct === "number") jobBar.update({ stage: pr.stage ?? queue, pct: pr.pct, ...(pr.detail ? { detail: pr.detail } : {}) });
              },
            });
            jobBar.stop();
            process.stdout.write(`(${queue} job ${res.jobId})\n`);
            print(result as unknown as S);
          };
          step("3/5 calibrate (queue: calibrate)");
          await run<CalibrationSummary>("calibrate", {}, printCalibrationSummary);
          step("4/5 forced retrain (queue: retrain) -> a new candidate waits for the slot");
          await run<RetrainSummary>("retrain", { trigger: "force" }, printRetrainSummary);
          step("5/5 A/B evaluation (queue: ab-eval)");
          await run<AbSummary>("ab-eval", { action: "evaluate" }, printAbSummary);
        });
      } finally {
        await workers.stop();
      }
      process.stdout.write(
        `\ndemo finished in ${((performance.now() - t0) / 1000).toFixed(1)} s. Look around:\n` +
          `  MLQ_DB_PATH=${env.MLQ_DB_PATH} MLQ_MODELS_DIR=${env.MLQ_MODELS_DIR} pnpm mlq ab --status\n` +
          `  MLQ_DB_PATH=${env.MLQ_DB_PATH} MLQ_MODELS_DIR=${env.MLQ_MODELS_DIR} MLQ_QUEUE_PREFIX='${env.MLQ_QUEUE_PREFIX}' pnpm mlq dashboard --insecure-local\n`,
      );
    });
}

interface ReplayedHistory {
  champion: string;
  challenger: string;
  championAtMs: number;
  challengerAtMs: number;
  challengerMaxDays: number;
}

/**
 * Two forced retrains as of past times, in this process: the first version becomes champion at
 * the start of paper trading, the second takes the evaluation slot a day later. (A demo shortcut:
 * both train on every candle in the database, including later ones.)
 */
async function replayHistory(env: Record<string, string>, toMs: number): Promise<ReplayedHistory> {
  const config = cliConfig(env);
  return withMigrated(config.dbPath, async (conn) => {
    const first = (conn.sqlite.prepare("SELECT min(opened_ts_ms) AS t FROM paper_trades").get() as { t: number | null }).t ?? toMs - 14 * DAY_MS;
    const championAtMs = first - 60_000;
    const challengerAtMs = championAtMs + DAY_MS;
    const retrainAt = async (nowMs: number) => {
      const s = await runRetrain({ conn, config, logger: silentLogger, nowMs, codeVersion: "demo" }, { trigger: "force" });
      if (!s.success || !s.version) throw new Error(`demo history: the retrain as of ${isoUtc(nowMs)} did not train (${s.message})`);
      return s.version;
    };
    const champion = await retrainAt(championAtMs);
    const challenger = await retrainAt(challengerAtMs);
    const elapsedDays = (Date.now() - challengerAtMs) / DAY_MS;
    return { champion, challenger, championAtMs, challengerAtMs, challengerMaxDays: Math.ceil(elapsedDays) + 2 };
  });
}

function step(title: string): void {
  process.stdout.write(`\n━━ ${title} ${"━".repeat(Math.max(0, 60 - title.length))}\n`);
}
