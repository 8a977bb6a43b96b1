import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { checkRedis } from "@mlq/jobs";
import { cliConfig } from "../context.js";
import { UsageError } from "../errors.js";
import { appInstances, supervise, type AppName, type AppProcess } from "../supervisor.js";

/** `--train-workers`: an integer >= 0 (0 = no worker-train; the search then trains on the retrain worker's threads). */
export function trainWorkersArg(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < 0 || n > 256)
    throw new UsageError(`--train-workers expects an integer from 0 to 256, got "${v}"`);
  return n;
}

/**
 * The worker-train instances of `mlq up`: one process per training thread, keyed worker-train#i,
 * each logging to its own directory (several processes rotating one file would lose lines).
 */
export function trainWorkerProcesses(count: number, logsDir: string): AppProcess[] {
  return appInstances("worker-train", count, (i) => ({ MLQ_LOGS_DIR: join(logsDir, `worker-train-${i}`) }));
}

export function registerUp(program: Command): void {
  program
    .command("up")
    .description("start producer, all workers, the dashboard and the prediction service in one supervised process group (Ctrl-C stops all)")
    .option("--no-dashboard", "do not start the dashboard")
    .option("--no-serve", "do not start the prediction service")
    .option("--insecure-local", "start the dashboard and the prediction service without credentials (loopback only)")
    .option(
      "--train-workers <n>",
      "worker-train processes for the retrain's search, one candidate each at a time (0 = none: the retrain worker trains on its own threads)",
      trainWorkersArg,
      availableParallelism(),
    )
    .action(async (opts: { dashboard: boolean; serve: boolean; insecureLocal?: boolean; trainWorkers: number }) => {
      const config = cliConfig();
      await checkRedis(config.redisUrl, 3000);
      // The prediction service refuses to start without its token; say so once instead of restarting it in a loop.
      const serve = opts.serve && (Boolean(config.serve.token) || opts.insecureLocal === true);
      if (opts.serve && !serve)
        process.stderr.write("mlq up: prediction service not started: set MLQ_SERVE_TOKEN (or use --insecure-local, or --no-serve)\n");
      const apps: (AppName | AppProcess)[] = [
        "producer",
        "worker-retrain",
        "worker-ab",
        "worker-calibrate",
        "worker-monitor",
        "worker-notify",
        ...trainWorkerProcesses(opts.trainWorkers, config.logsDir),
        ...(opts.dashboard ? (["dashboard"] as const) : []),
        ...(serve ? (["serve"] as const) : []),
      ];
      const insecure = opts.insecureLocal ? ["--insecure-local"] : [];
      const group = supervise(apps, { env: process.env, args: { dashboard: insecure, serve: insecure } });
      process.stderr.write(`mlq up: started ${apps.map((a) => (typeof a === "string" ? a : a.key)).join(", ")} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.stderr.write("mlq up: stopping (workers finish or release their jobs)…\n");
          void group.stop().then(resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });

  program
    .command("dashboard")
    .description("start the dashboard (Bull Board, status page, /metrics)")
    .option("--insecure-local", "start without credentials (loopback only; every page says so)")
    .action((opts: { insecureLocal?: boolean }) => runOne("dashboard", opts.insecureLocal));
}

/** Runs one app in the foreground until it exits (its exit code becomes ours); Ctrl-C stops it. */
async function runOne(app: AppName, insecureLocal: boolean | undefined): Promise<void> {
  cliConfig();
  const group = supervise([app], { env: process.env, restart: false, args: { [app]: insecureLocal ? ["--insecure-local"] : [] } });
  await new Promise<void>((resolve) => {
    group.children.get(app)?.once("exit", (code) => {
      process.exitCode = code ?? 1;
      resolve();
    });
    process.once("SIGINT", () => void group.stop());
    process.once("SIGTERM", () => void group.stop());
  });
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("start the prediction service (GET|POST /v1/predict for the bot; MLQ_SERVE_HOST:MLQ_SERVE_PORT, bearer MLQ_SERVE_TOKEN)")
    .option("--insecure-local", "start without a token (loopback only)")
    .action((opts: { insecureLocal?: boolean }) => runOne("serve", opts.insecureLocal));
}
