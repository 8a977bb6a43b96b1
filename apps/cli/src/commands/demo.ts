// README command one: a demo database, real workers, and the daily cycle through the real
// queues: calibrate -> forced retrain -> A/B evaluation, each awaited with its summary printed.
import type { Command } from "commander";
import { mkdirSync, rmSync } from "node:fs";
import { resolve, join } from "node:path";
import { generateDemoDatabase } from "@mlq/demo-data";
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
      const env = {
        MLQ_DB_PATH: join(dir, "trading.db"),
        MLQ_MODELS_DIR: join(dir, "models"),
        MLQ_LOGS_DIR: join(dir, "logs"),
        MLQ_CALIBRATION_PATH: join(dir, "execution_calibration.json"),
        MLQ_QUEUE_PREFIX: process.env.MLQ_QUEUE_PREFIX || "{mlq-demo}",
      };
      const config = cliConfig(env);

      step("1/4 demo database");
      const bar = progressBar(true);
      const demo = await generateDemoDatabase({ out: config.dbPath, seed: opts.seed, trades: 600, arms: true, overwrite: true }, { progress: bar.update });
      bar.stop();
      process.stdout.write(`${demo.path}: ${demo.ticks.toLocaleString("en-US")} ticks, ${demo.closedTrades} closed paper trades, ${demo.symbols.join(", ")}\n`);

      const workers = supervise(["worker-calibrate", "worker-retrain", "worker-ab"], { env: { ...process.env, ...env, REDIS_URL: config.redisUrl }, restart: false, stdio: "ignore" });
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
          step("2/4 calibrate (queue: calibrate)");
          await run<CalibrationSummary>("calibrate", {}, printCalibrationSummary);
          step("3/4 forced retrain (queue: retrain)");
          await run<RetrainSummary>("retrain", { trigger: "force" }, printRetrainSummary);
          step("4/4 A/B evaluation (queue: ab-eval)");
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

function step(title: string): void {
  process.stdout.write(`\n━━ ${title} ${"━".repeat(Math.max(0, 60 - title.length))}\n`);
}
