import type { Command } from "commander";
import { checkRedis } from "@mlq/jobs";
import { cliConfig } from "../context.js";
import { supervise, type AppName } from "../supervisor.js";

export function registerUp(program: Command): void {
  program
    .command("up")
    .description("start producer, all workers and the dashboard in one supervised process group (Ctrl-C stops all)")
    .option("--no-dashboard", "do not start the dashboard")
    .option("--insecure-local", "start the dashboard without credentials (loopback only)")
    .action(async (opts: { dashboard: boolean; insecureLocal?: boolean }) => {
      const config = cliConfig();
      await checkRedis(config.redisUrl, 3000);
      const apps: AppName[] = ["producer", "worker-retrain", "worker-ab", "worker-calibrate", "worker-monitor", ...(opts.dashboard ? (["dashboard"] as const) : [])];
      const group = supervise(apps, { env: process.env, args: { dashboard: opts.insecureLocal ? ["--insecure-local"] : [] } });
      process.stderr.write(`mlq up: started ${apps.join(", ")} (Ctrl-C to stop)\n`);
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
    .action(async (opts: { insecureLocal?: boolean }) => {
      cliConfig();
      const group = supervise(["dashboard"], { env: process.env, restart: false, args: { dashboard: opts.insecureLocal ? ["--insecure-local"] : [] } });
      await new Promise<void>((resolve) => {
        group.children.get("dashboard")?.once("exit", (code) => {
          process.exitCode = code ?? 1;
          resolve();
        });
        process.once("SIGINT", () => void group.stop());
        process.once("SIGTERM", () => void group.stop());
      });
    });
}
