// Shared plumbing of the cross-app tests: the BUILT apps spawned as real child processes,
// one temp dir + Redis prefix per test, small demo databases, bounded waits, and a cleanup
// (afterEach) that kills every child, closes every connection and deletes every key.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { loadConfig, type Config } from "@mlq/config";
import { silentLogger } from "@mlq/core";
import { generateDemoDatabase, type DemoOptions, type DemoSummary } from "@mlq/demo-data";
import { createProducer, deleteKeysWithPrefix, type Producer, type QueueName } from "@mlq/jobs";
import { REPO_ROOT, REDIS_URL, appEntry, sleep, uniquePrefix, waitFor } from "../support/common.js";

export { REPO_ROOT, REDIS_URL, appEntry, sleep, uniquePrefix, waitFor };

export const CHILDREN_DIR = fileURLToPath(new URL("./children/", import.meta.url));
/** Fixed end of the demo history, so the same seed gives the same database on every run. */
export const DEMO_END_MS = Date.UTC(2025, 0, 15);

export type WorkerApp = "worker-retrain" | "worker-ab" | "worker-calibrate" | "worker-monitor" | "worker-notify" | "worker-train";

/** A small demo database (~1 s): 200k ticks over 21 days, 400 trades, fixed end. */
export function demoDb(out: string, options: Partial<DemoOptions> = {}): Promise<DemoSummary> {
  return generateDemoDatabase({ out, ticks: 200_000, days: 21, trades: 400, seed: 11, endMs: DEMO_END_MS, overwrite: true, ...options });
}

/** Five stand-in model files (the registry stores bytes; it never parses them) and a minimal manifest. */
export const standInModels = (seed: number) =>
  ["direction", "risk", "price", "momentum", "volatility"].map((name, k) => ({
    name,
    objective: "reg:squarederror",
    bytes: Uint8Array.from({ length: 64 }, (_, i) => (seed + k + i) & 0xff),
  }));
export const STAND_IN_MANIFEST = { featureNames: ["ret_1"], params: {}, dataWindow: {}, rowCounts: {}, metrics: {} };

/** Read-only query on a SQLite file (opened and closed per call, so no handle outlives a test). */
export function sqlRows<T = Record<string, unknown>>(path: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export interface Spawned {
  readonly name: string;
  readonly child: ChildProcess;
  /** stdout + stderr so far (the last 200 kB). */
  output(): string;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the output matches `re`; rejects if the process exits first or on timeout. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<void>;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const KEEP = 200_000;

/**
 * Everything one test starts. Create it in beforeEach, call `cleanup()` in afterEach: it
 * SIGTERMs the children (SIGKILL after 3 s), closes queues / producers / connections,
 * deletes the prefix's Redis keys and removes the temp dir.
 */
export class E2eFixture {
  readonly prefix = uniquePrefix();
  readonly dir = mkdtempSync(join(tmpdir(), "mlq-e2e-"));
  readonly children: Spawned[] = [];
  private readonly closers: (() => Promise<unknown>)[] = [];
  private redisConn: Redis | undefined;

  get dbPath(): string {
    return join(this.dir, "trading.db");
  }
  get modelsDir(): string {
    return join(this.dir, "models");
  }
  get calibrationPath(): string {
    return join(this.dir, "execution_calibration.json");
  }

  /** The environment every mlq process of this test gets: own prefix, DB, models, logs; fast settings. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      REDIS_URL,
      MLQ_QUEUE_PREFIX: this.prefix,
      MLQ_DB_PATH: this.dbPath,
      MLQ_MODELS_DIR: this.modelsDir,
      MLQ_LOGS_DIR: join(this.dir, "logs"),
      MLQ_CALIBRATION_PATH: this.calibrationPath,
      MLQ_LOG_LEVEL: "info",
      MLQ_XGB_ROUNDS: "10",
      MLQ_TRAIN_THREADS: "1",
      MLQ_SHUTDOWN_GRACE_MS: "1000",
      MLQ_RETRY_BACKOFF_MS: "200",
      ...extra,
    };
  }

  /**
   * The settings of a worker-train "host" (issue 18): its own MLQ_HOST_ID and its own empty
   * directories, so it shares nothing on disk with the retrain (no database, no models dir).
   */
  trainHostEnv(host: string): Record<string, string> {
    const own = join(this.dir, `host-${host}`);
    mkdirSync(own, { recursive: true });
    return {
      MLQ_HOST_ID: host,
      MLQ_DB_PATH: join(own, "absent.db"),
      MLQ_MODELS_DIR: join(own, "models"),
      MLQ_LOGS_DIR: join(own, "logs"),
      MLQ_CALIBRATION_PATH: join(own, "calibration.json"),
    };
  }

  config(extra: Record<string, string> = {}): Config {
    return loadConfig(this.env(extra));
  }

  /** A Redis connection for the test itself (BullMQ-compatible), closed in cleanup. */
  get redis(): Redis {
    this.redisConn ??= new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    return this.redisConn;
  }

  spawnNode(name: string, script: string, args: string[], env: Record<string, string>, stdin: "ignore" | "pipe" = "ignore"): Spawned {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: this.dir,
      env: { ...process.env, NODE_OPTIONS: "", ...env },
      stdio: [stdin, "pipe", "pipe"],
    });
    let out = "";
    let so = "";
    let se = "";
    const listeners = new Set<() => void>();
    const keep = (s: string): string => (s.length > KEEP ? s.slice(-KEEP) : s);
    child.stdout?.on("data", (c: Buffer) => {
      so = keep(so + c.toString());
      out = keep(out + c.toString());
      for (const l of listeners) l();
    });
    child.stderr?.on("data", (c: Buffer) => {
      se = keep(se + c.toString());
      out = keep(out + c.toString());
      for (const l of listeners) l();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
      child.once("exit", (code, signal) => {
        res({ code, signal });
        for (const l of listeners) l();
      });
    });
    const waitForOutput = (re: RegExp, timeoutMs = 30_000): Promise<void> =>
      new Promise((res, rej) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          rej(new Error(`${name}: no output matching ${String(re)} within ${timeoutMs} ms; output:\n${out.slice(-4000)}`));
        }, timeoutMs);
        const check = (): void => {
          if (re.test(out)) {
            clearTimeout(timer);
            listeners.delete(check);
            res();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            listeners.delete(check);
            rej(
              new Error(
                `${name} exited (${child.exitCode ?? child.signalCode}) before printing ${String(re)}; output:\n${out.slice(-4000)}`,
              ),
            );
          }
        };
        listeners.add(check);
        check();
      });
    const spawned: Spawned = { name, child, output: () => out, stdout: () => so, stderr: () => se, exited, waitForOutput };
    this.children.push(spawned);
    return spawned;
  }

  /** Starts built worker apps with this test's env and waits until each has said it started. */
  async startWorkers(apps: WorkerApp[], extraEnv: Record<string, string> = {}): Promise<Spawned[]> {
    const started = apps.map((app) => this.spawnNode(app, appEntry(app), [], this.env(extraEnv)));
    await Promise.all(started.map((s) => s.waitForOutput(/worker for queue \S+ started/, 60_000)));
    return started;
  }

  /** Runs `mlq ...` to completion (killed after timeoutMs). */
  async cli(args: string[], extraEnv: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> {
    const s = this.spawnNode(`mlq ${args.join(" ")}`, appEntry("cli"), args, this.env(extraEnv));
    const timer = setTimeout(() => s.child.kill("SIGKILL"), timeoutMs);
    const { code } = await s.exited;
    clearTimeout(timer);
    return { code, stdout: s.stdout(), stderr: s.stderr() };
  }

  /** A producer (no schedulers registered) on this test's prefix, stopped in cleanup. */
  producer(extraEnv: Record<string, string> = {}): Producer {
    const producer = createProducer({ redisUrl: REDIS_URL, prefix: this.prefix, config: this.config(extraEnv), logger: silentLogger });
    this.closers.push(() => producer.stop());
    return producer;
  }

  queue(name: QueueName): Queue {
    const q = new Queue(name, { connection: this.redis, prefix: this.prefix });
    this.closers.push(() => q.close());
    return q;
  }

  async queueEvents(name: QueueName): Promise<QueueEvents> {
    const qe = new QueueEvents(name, { connection: { url: REDIS_URL }, prefix: this.prefix });
    this.closers.push(() => qe.close());
    await qe.waitUntilReady();
    return qe;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.children.splice(0).map((s) => stopChild(s)));
    for (const close of this.closers.splice(0).reverse()) await close().catch(() => undefined);
    const conn = this.redis;
    await deleteKeysWithPrefix(conn, this.prefix).catch(() => undefined);
    await conn.quit().catch(() => conn.disconnect());
    this.redisConn = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function stopChild(s: Spawned): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill("SIGTERM");
  const killer = setTimeout(() => s.child.kill("SIGKILL"), 3_000);
  await s.exited;
  clearTimeout(killer);
}

/**
 * Appends `days` of ticks (two a minute per symbol, a seeded random walk from each symbol's last
 * price) from `fromMs`: bars after the models' training, for the shadow evaluation to score.
 */
export function appendTicks(path: string, options: { fromMs: number; days: number; seed?: number }): number {
  const db = new Database(path, { fileMustExist: true });
  try {
    const symbols = db.prepare("SELECT DISTINCT symbol FROM ticks ORDER BY symbol").pluck().all() as string[];
    const lastPrice = db.prepare("SELECT price FROM ticks WHERE symbol = ? ORDER BY ts_ms DESC LIMIT 1").pluck();
    const last = symbols.map((symbol) => ({ symbol, price: lastPrice.get(symbol) as number }));
    const insert = db.prepare("INSERT INTO ticks (ts_ms, symbol, price, size) VALUES (?, ?, ?, ?)");
    let seed = options.seed ?? 5;
    const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
    const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    let written = 0;
    db.transaction(() => {
      for (const { symbol, price } of last) {
        let p = price;
        for (let m = 0; m < options.days * 1440; m++) {
          for (const offset of [7_000, 41_000]) {
            p *= Math.exp(0.0007 * normal());
            insert.run(options.fromMs + m * 60_000 + offset, symbol, p, 0.01);
            written++;
          }
        }
      }
    })();
    return written;
  } finally {
    db.close();
  }
}
