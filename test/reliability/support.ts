// Shared plumbing of the fault-injection suite: built app entries spawned as real child
// processes (killed in afterEach, also on failure), per-test temp dirs and Redis prefixes,
// small demo databases, and bounded polling.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeEach } from "vitest";
import { deleteKeysWithPrefix } from "@mlq/jobs";
import { generateDemoDatabase } from "@mlq/demo-data";
import { REPO_ROOT, REDIS_URL, appEntry, sleep, uniquePrefix, waitFor } from "../support/common.js";

export { REPO_ROOT, REDIS_URL, appEntry, sleep, uniquePrefix, waitFor };

export const CHILDREN_DIR = fileURLToPath(new URL("./children/", import.meta.url));
/** Fixed so demo data (and therefore training) is the same on every run. */
export const DEMO_END_MS = Date.UTC(2026, 10, 1, 0, 0, 0);

export interface Spawned {
  name: string;
  child: ChildProcess;
  /** stdout + stderr so far (bounded to the last 200 kB). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Everything one test starts: child processes, temp dirs, Redis keys. `cleanup()` (afterEach)
 * SIGKILLs survivors, deletes the prefix's keys and removes the temp dir.
 */
export class Fixture {
  readonly prefix = uniquePrefix();
  readonly dir = mkdtempSync(join(tmpdir(), "mlq-rel-"));
  readonly children: Spawned[] = [];
  private readonly cleanups: (() => unknown)[] = [];

  spawnNode(name: string, script: string, args: string[], env: Record<string, string>): Spawned {
    return this.spawnCommand(name, process.execPath, [script, ...args], env);
  }

  spawnCommand(name: string, command: string, args: string[], env: Record<string, string> = {}): Spawned {
    const child = spawn(command, args, {
      cwd: this.dir,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const append = (chunk: Buffer): void => {
      out += chunk.toString();
      if (out.length > 200_000) out = out.slice(-200_000);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
      child.once("exit", (code, signal) => res({ code, signal })),
    );
    const spawned: Spawned = { name, child, output: () => out, exited };
    this.children.push(spawned);
    return spawned;
  }

  /** Env every mlq process of this test gets (its own prefix, DB, models and logs). */
  mlqEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      REDIS_URL,
      MLQ_QUEUE_PREFIX: this.prefix,
      MLQ_DB_PATH: join(this.dir, "trading.db"),
      MLQ_MODELS_DIR: join(this.dir, "models"),
      MLQ_LOGS_DIR: join(this.dir, "logs"),
      MLQ_CALIBRATION_PATH: join(this.dir, "execution_calibration.json"),
      MLQ_LOG_LEVEL: "info",
      MLQ_XGB_ROUNDS: "10",
      MLQ_TRAIN_THREADS: "1",
      // Not 2 s: the retrain's candle and feature stages run synchronously on the worker's event
      // loop; on a loaded machine they outlast a 2 s lock, and the job then runs twice.
      MLQ_LOCK_DURATION_MS: "10000",
      MLQ_STALLED_INTERVAL_MS: "5000",
      MLQ_SHUTDOWN_GRACE_MS: "1000",
      MLQ_RETRY_BACKOFF_MS: "200",
      ...extra,
    };
  }

  onCleanup(fn: () => unknown): void {
    this.cleanups.push(fn);
  }

  async cleanup(redisUrl = REDIS_URL): Promise<void> {
    for (const s of this.children) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGKILL");
    await Promise.all(this.children.map((s) => Promise.race([s.exited, sleep(5000)])));
    for (const fn of this.cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch {
        /* best effort: the rest must still run */
      }
    }
    const conn = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
    conn.on("error", () => undefined);
    try {
      await conn.connect();
      await deleteKeysWithPrefix(conn, this.prefix);
    } catch {
      /* a test-owned redis-server may already be gone */
    } finally {
      conn.disconnect();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A small but complete demo DB (~1 s): enough candles and trades to pass the gates and train. */
export async function makeDemoDb(path: string, seed = 7): Promise<void> {
  await generateDemoDatabase({ out: path, ticks: 200_000, days: 21, trades: 400, seed, endMs: DEMO_END_MS, overwrite: true });
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? res(addr.port) : rej(new Error("no port"))));
    });
  });
}

/**
 * A bad-input corpus: a fresh Fixture per test (cleaned up after it) and the observed outcomes,
 * printed as one table when the file ends. Call at the top of a test file.
 */
export function observedCorpus<Row>(title: string): { readonly fx: Fixture; readonly observed: Row[] } {
  const corpus = { fx: undefined as unknown as Fixture, observed: [] as Row[] };
  beforeEach(() => {
    corpus.fx = new Fixture();
  });
  afterEach(async () => {
    await corpus.fx.cleanup();
  });
  afterAll(() => {
    console.log(`[reliability] ${title}: observed outcomes`);
    console.table(corpus.observed);
  });
  return corpus;
}
