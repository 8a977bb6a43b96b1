// Queue benchmark against the local Redis, through the real bootstrap (`runWorker`, the producer's
// `enqueue`, the catalog's retry/retention options, job-log mirroring, a JSON log file):
//   - enqueue -> handler start latency of no-op jobs on an idle worker (p50, p99);
//   - no-op throughput with concurrency 1 and 8 (1,000 jobs added in one addBulk);
//   - A/B through the queue: enqueue -> result of a dry-run `ab-eval` job run by the worker-ab
//     handler (`runAbEvalTask` of @mlq/tasks) on the given database (an audit row is written to it: pass a copy).
// Everything lives under a unique `{mlqbench-…}` prefix whose keys are deleted afterwards.
// Build first (`pnpm bench` does). Standalone: `node bench/queue.mjs [dbPath]` — without a path it
// copies the `trades-35k` preset from bench/cache.mjs into a temp dir.
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { percentile } from "../packages/core/dist/index.js";
import { loadConfig } from "../packages/config/dist/index.js";
import { createLogger } from "../packages/logger/dist/index.js";
import { createProducer, createRedisConnection, deleteKeysWithPrefix, jobCatalog, runWorker } from "../packages/jobs/dist/index.js";
import { runAbEvalTask } from "../packages/tasks/dist/index.js";
import { ensureBenchDb } from "./cache.mjs";

const LATENCY_JOBS = 1_000;
const LATENCY_WARMUP = 20;
const THROUGHPUT_JOBS = 1_000;
const AB_WARMUP = 1;
const AB_RUNS = 7;
const TARGET_LATENCY_P50_MS = 10;
const TARGET_AB_MS = 1_000;
/** A job that is not done by then means the bench is broken, not slow. */
const WAIT_LIMIT_MS = 120_000;

const round = (x, d = 2) => Number(x.toFixed(d));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Resolves with the next value passed to the returned `fire`, or rejects after WAIT_LIMIT_MS. */
function nextEvent(what) {
  let fire;
  let fail;
  const promise = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`queue bench: no ${what} within ${WAIT_LIMIT_MS / 1000} s`)), WAIT_LIMIT_MS);
    timer.unref();
    fire = (value) => {
      clearTimeout(timer);
      resolve(value);
    };
    fail = (err) => {
      clearTimeout(timer);
      reject(err);
    };
  });
  // Awaiting callers still see a rejection; an event nobody waits for must not crash the process.
  promise.catch(() => undefined);
  return { promise, fire, fail };
}

export async function run({ dbPath, log = console.log } = {}) {
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const prefix = `{mlqbench-${randomBytes(4).toString("hex")}}`;
  const dir = mkdtempSync(join(tmpdir(), "mlq-bench-queue-"));
  // Env deliberately empty apart from the bench's own settings: defaults as in production.
  const config = loadConfig({}, { REDIS_URL: redisUrl, MLQ_QUEUE_PREFIX: prefix, MLQ_DB_PATH: dbPath, MLQ_MODELS_DIR: join(dir, "models"), MLQ_LOGS_DIR: join(dir, "logs") });
  const catalog = jobCatalog(config);
  // Like a deployed worker: JSON lines to a file (no console, so the bench output stays readable).
  const logger = createLogger({ name: "bench-queue", logsDir: config.logsDir, console: false });
  const producer = createProducer({ redisUrl, prefix, config, logger });
  const cleanup = createRedisConnection(redisUrl, { role: "queue" });
  const workers = [];
  const results = [];
  const add = (name, value, unit, target, pass, extra = {}) => {
    results.push({ name, median: round(value), unit, target, pass, ...extra });
    log(`queue: ${name}: ${round(value)} ${unit} (target ${target}) ${pass ? "PASS" : "FAIL"}`);
  };

  /** A runWorker with the production settings; `onJob` sees every completed/failed job. */
  const startWorker = async (queue, handler, { concurrency = 1, onJob = () => {} } = {}) => {
    const handle = runWorker({
      queue,
      prefix,
      redisUrl,
      concurrency,
      timeoutMs: catalog[queue].timeoutMs,
      shutdownGraceMs: config.worker.shutdownGraceMs,
      lockDurationMs: config.worker.lockDurationMs,
      stalledIntervalMs: config.worker.stalledIntervalMs,
      logger,
      handler,
    });
    workers.push(handle);
    handle.worker.on("completed", (job, value) => onJob(job, null, value));
    handle.worker.on("failed", (job, err) => onJob(job, err, null));
    await handle.worker.waitUntilReady();
    return handle;
  };
  const stopWorker = async (handle) => {
    await handle.close();
    workers.splice(workers.indexOf(handle), 1);
  };

  try {
    log(`queue: Redis ${redisUrl}, prefix ${prefix}`);

    // 1. Latency: one job at a time, so the worker is idle (blocked on Redis) when each arrives.
    {
      let started;
      let finished;
      const handle = await startWorker(
        "calibrate",
        async () => {
          started?.fire(performance.now());
          return { ok: true };
        },
        { onJob: (job, err) => (err ? finished?.fail(err) : finished?.fire(job.id)) },
      );
      const latencies = [];
      for (let i = 0; i < LATENCY_WARMUP + LATENCY_JOBS; i++) {
        started = nextEvent("handler start");
        finished = nextEvent("completion");
        const t0 = performance.now();
        await producer.enqueue("calibrate", {});
        const t1 = await started.promise;
        await finished.promise;
        if (i >= LATENCY_WARMUP) latencies.push(t1 - t0);
      }
      await stopWorker(handle);
      latencies.sort((a, b) => a - b);
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      log(`queue: latency over ${LATENCY_JOBS} jobs: min ${round(latencies[0])} ms, p50 ${round(p50)}, p90 ${round(percentile(latencies, 90))}, p99 ${round(p99)}, max ${round(latencies.at(-1))} ms`);
      add(`enqueue -> handler start p50 (producer.enqueue -> runWorker, idle worker, ${LATENCY_JOBS} jobs)`, p50, "ms", `≤ ${TARGET_LATENCY_P50_MS}`, p50 <= TARGET_LATENCY_P50_MS);
      add(`enqueue -> handler start p99`, p99, "ms", "reference", true);
    }

    // 2. Throughput: the whole batch is queued at once; time from addBulk to the last completion.
    for (const concurrency of [1, 8]) {
      let done = 0;
      let failed = 0;
      const all = nextEvent(`${THROUGHPUT_JOBS} completions`);
      const handle = await startWorker("calibrate", async () => ({ ok: true }), {
        concurrency,
        onJob: (_job, err) => {
          if (err) failed++;
          if (++done === THROUGHPUT_JOBS) all.fire();
        },
      });
      const rq = catalog.calibrate;
      const jobs = Array.from({ length: THROUGHPUT_JOBS }, (_, i) => ({
        name: rq.jobName,
        data: {},
        opts: { jobId: `tput-c${concurrency}-${i}`, attempts: rq.retry.attempts, backoff: rq.retry.backoff, ...rq.retention },
      }));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await producer.queues.calibrate.addBulk(jobs);
      await all.promise;
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      await stopWorker(handle);
      if (failed > 0) throw new Error(`queue bench: ${failed} no-op jobs failed`);
      const rate = THROUGHPUT_JOBS / seconds;
      log(`queue: concurrency ${concurrency}: ${THROUGHPUT_JOBS} jobs in ${seconds.toFixed(2)} s, this process used ${((cpu.user + cpu.system) / 1000 / THROUGHPUT_JOBS).toFixed(2)} ms CPU per job`);
      add(`no-op jobs/s, concurrency ${concurrency} (${THROUGHPUT_JOBS} jobs, addBulk -> last completion)`, rate, "jobs/s", "reference", true);
    }

    // 3. A/B through the queue: the real worker-ab handler (the A/B task), dry-run so no swap happens.
    {
      let finished;
      const handle = await startWorker("ab-eval", (payload, io) => runAbEvalTask(config, payload, io), {
        onJob: (job, err, value) => (err ? finished?.fail(new Error(`ab-eval job ${job?.id} failed: ${err.message}`)) : finished?.fire({ id: job.id, value })),
      });
      const times = [];
      let last;
      for (let i = 0; i < AB_WARMUP + AB_RUNS; i++) {
        finished = nextEvent("ab-eval result");
        const t0 = performance.now();
        const { jobId } = await producer.enqueue("ab-eval", { action: "dry-run" }); // the worker serves config.dbPath
        last = await finished.promise;
        if (last.id !== jobId) throw new Error(`queue bench: expected ab-eval job ${jobId}, got ${last.id}`);
        if (i >= AB_WARMUP) times.push(performance.now() - t0);
      }
      await stopWorker(handle);
      const ms = median(times);
      const v = last.value ?? {};
      log(`queue: ab-eval dry-run via queue: median ${round(ms)} ms over ${AB_RUNS} (min ${round(Math.min(...times))}, max ${round(Math.max(...times))}); ${v.decisionReason ?? JSON.stringify(v).slice(0, 200)}`);
      add(`A/B dry-run through the queue, enqueue -> result (runAbEvalTask, ${AB_RUNS} runs)`, ms, "ms", `≤ ${TARGET_AB_MS}`, ms <= TARGET_AB_MS);
    }
    return results;
  } finally {
    for (const handle of [...workers]) await handle.close().catch(() => undefined);
    await producer.stop().catch(() => undefined);
    await deleteKeysWithPrefix(cleanup, prefix).catch((err) => log(`queue: could not delete keys under ${prefix}: ${err.message}`));
    await cleanup.quit().catch(() => cleanup.disconnect());
    await logger.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let dbPath = process.argv[2];
  let tmp;
  if (!dbPath) {
    tmp = mkdtempSync(join(tmpdir(), "mlq-bench-queue-db-"));
    dbPath = join(tmp, "trades-35k.db");
    copyFileSync(await ensureBenchDb("trades-35k"), dbPath);
  }
  try {
    const results = await run({ dbPath });
    console.table(results);
    process.exitCode = results.every((r) => r.pass) ? 0 : 1;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
