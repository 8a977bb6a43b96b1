// Starts mlq's processes as children and keeps them running (a single-machine `mlq up`);
// Ctrl-C or SIGTERM stops them all with SIGTERM, so workers finish or release their jobs.
// One app may run as several instances (`worker-train#1` … `#N`), each restarted on its own.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export type AppName =
  | "producer"
  | "worker-retrain"
  | "worker-ab"
  | "worker-calibrate"
  | "worker-monitor"
  | "worker-notify"
  | "worker-train"
  | "dashboard"
  | "serve";

export function appEntry(app: AppName): string {
  // apps/cli/{src,dist}/supervisor.* -> apps/<app>/dist/main.js
  return fileURLToPath(new URL(`../../${app}/dist/main.js`, import.meta.url));
}

/** One supervised process. */
export interface AppProcess {
  /** Unique within a group: the app's name, or `<app>#<i>` for one of several instances. */
  key: string;
  app: AppName;
  /** Arguments after the entry (default: the group's `args[app]`). */
  args?: readonly string[];
  /** Added to the group's environment for this process only. */
  env?: Readonly<Record<string, string>>;
  /** Script to run instead of the app's built entry (tests). */
  entry?: string;
}

/** `count` instances of one app, keyed `<app>#1` … `<app>#<count>` (none for 0). */
export function appInstances(app: AppName, count: number, env: (i: number) => Record<string, string> = () => ({})): AppProcess[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`instances of ${app}: expected an integer >= 0, got ${count}`);
  return Array.from({ length: count }, (_, k) => ({ key: `${app}#${k + 1}`, app, env: env(k + 1) }));
}

export interface Supervised {
  stop(): Promise<void>;
  /** The current process of each key (a restarted one replaces its predecessor). */
  readonly children: ReadonlyMap<string, ChildProcess>;
}

export interface SuperviseOptions {
  env: NodeJS.ProcessEnv;
  args?: Partial<Record<AppName, string[]>>;
  /** Restart a child that exits on its own (default true). */
  restart?: boolean;
  /** Delay before a restart (default 1 s); a key restarted 5 times within a minute waits `crashLoopDelayMs` (default 30 s). */
  restartDelayMs?: number;
  crashLoopDelayMs?: number;
  /** Where children's output goes: inherit (default) or ignore. */
  stdio?: "inherit" | "ignore";
  onExit?: (key: string, code: number | null, signal: NodeJS.Signals | null) => void;
  onStart?: (key: string, child: ChildProcess) => void;
}

export function supervise(apps: readonly (AppName | AppProcess)[], options: SuperviseOptions): Supervised {
  const procs: AppProcess[] = apps.map((a) => (typeof a === "string" ? { key: a, app: a } : a));
  const dup = procs.find((p, i) => procs.findIndex((q) => q.key === p.key) !== i);
  if (dup) throw new Error(`supervise: key ${dup.key} given twice`);
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const restarts = new Map<string, number[]>();
  const restartDelayMs = options.restartDelayMs ?? 1000;
  const crashLoopDelayMs = options.crashLoopDelayMs ?? 30_000;

  const start = (p: AppProcess): void => {
    // Own process group: a terminal's Ctrl-C reaches only the supervisor, which then sends one
    // SIGTERM (a second signal would make a worker abort its job instead of finishing it).
    const child = spawn(process.execPath, [p.entry ?? appEntry(p.app), ...(p.args ?? options.args?.[p.app] ?? [])], {
      env: p.env ? { ...options.env, ...p.env } : options.env,
      stdio: ["ignore", options.stdio ?? "inherit", options.stdio ?? "inherit"],
      detached: true,
    });
    children.set(p.key, child);
    options.onStart?.(p.key, child);
    child.on("exit", (code, signal) => {
      options.onExit?.(p.key, code, signal);
      if (stopping || options.restart === false) return;
      // Back off when a child keeps crashing (bad config, Redis down): 5 restarts a minute at most.
      const now = Date.now();
      const recent = (restarts.get(p.key) ?? []).filter((t) => now - t < 60_000);
      restarts.set(p.key, [...recent, now]);
      const delay = recent.length >= 5 ? crashLoopDelayMs : restartDelayMs;
      process.stderr.write(`mlq up: ${p.key} exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000} s\n`);
      setTimeout(() => !stopping && start(p), delay).unref();
    });
  };
  for (const p of procs) start(p);
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
