// Starts mlq's processes as children and keeps them running (a single-machine `mlq up`);
// Ctrl-C or SIGTERM stops them all with SIGTERM, so workers finish or release their jobs.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export type AppName = "producer" | "worker-retrain" | "worker-ab" | "worker-calibrate" | "worker-monitor" | "worker-notify" | "worker-train" | "dashboard" | "serve";

export function appEntry(app: AppName): string {
  // apps/cli/{src,dist}/supervisor.* -> apps/<app>/dist/main.js
  return fileURLToPath(new URL(`../../${app}/dist/main.js`, import.meta.url));
}

export interface Supervised {
  stop(): Promise<void>;
  readonly children: ReadonlyMap<AppName, ChildProcess>;
}

export interface SuperviseOptions {
  env: NodeJS.ProcessEnv;
  args?: Partial<Record<AppName, string[]>>;
  /** Restart a child that exits on its own (default true). */
  restart?: boolean;
  /** Where children's output goes: inherit (default) or ignore. */
  stdio?: "inherit" | "ignore";
  onExit?: (app: AppName, code: number | null, signal: NodeJS.Signals | null) => void;
}

export function supervise(apps: AppName[], options: SuperviseOptions): Supervised {
  const children = new Map<AppName, ChildProcess>();
  let stopping = false;
  const restarts = new Map<AppName, number[]>();

  const start = (app: AppName): void => {
    // Own process group: a terminal's Ctrl-C reaches only the supervisor, which then sends one
    // SIGTERM (a second signal would make a worker abort its job instead of finishing it).
    const child = spawn(process.execPath, [appEntry(app), ...(options.args?.[app] ?? [])], {
      env: options.env,
      stdio: ["ignore", options.stdio ?? "inherit", options.stdio ?? "inherit"],
      detached: true,
    });
    children.set(app, child);
    child.on("exit", (code, signal) => {
      options.onExit?.(app, code, signal);
      if (stopping || options.restart === false) return;
      // Back off when a child keeps crashing (bad config, Redis down): 5 restarts a minute at most.
      const now = Date.now();
      const recent = (restarts.get(app) ?? []).filter((t) => now - t < 60_000);
      restarts.set(app, [...recent, now]);
      const delay = recent.length >= 5 ? 30_000 : 1000;
      process.stderr.write(`mlq up: ${app} exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000} s\n`);
      setTimeout(() => !stopping && start(app), delay).unref();
    });
  };
  for (const app of apps) start(app);
  // If the supervisor itself dies, do not leave detached children behind.
  process.once("exit", () => {
    for (const c of children.values()) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  });

  return {
    children,
    stop: async () => {
      stopping = true;
      await Promise.all(
        [...children.values()].map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once("exit", () => resolve());
              c.kill("SIGTERM");
            }),
        ),
      );
    },
  };
}
