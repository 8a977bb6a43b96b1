#!/usr/bin/env node
// Soak run: producer + the four workers as child processes on a small demo DB, with the
// schedulers compressed to seconds, for a bounded time. Reports jobs completed and failed per
// queue, each worker's RSS (peak of the last quarter vs the first quarter, growth > 20 % flagged)
// and Redis memory.
// Usage: node scripts/soak.mjs [--minutes 5] [--keep]   (build first: pnpm build)
import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
// bullmq and ioredis are dependencies of @mlq/jobs, not of the root package.
const requireFromJobs = createRequire(join(root, "packages/jobs/package.json"));
const { Queue } = await import(pathToFileURL(requireFromJobs.resolve("bullmq")).href);
const { Redis } = await import(pathToFileURL(requireFromJobs.resolve("ioredis")).href);

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const minutes = Number(arg("minutes", "5"));
if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error(`--minutes must be in (0, 1440], got ${arg("minutes")}`);
const keep = process.argv.includes("--keep");
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `{mlqsoak-${randomBytes(4).toString("hex")}}`;
const dir = mkdtempSync(join(tmpdir(), "mlq-soak-"));
const QUEUES = ["retrain", "ab-eval", "calibrate", "monitor"];

const env = {
  ...process.env,
  REDIS_URL: redisUrl,
  MLQ_QUEUE_PREFIX: prefix,
  MLQ_DB_PATH: join(dir, "trading.db"),
  MLQ_MODELS_DIR: join(dir, "models"),
  MLQ_LOGS_DIR: join(dir, "logs"),
  MLQ_CALIBRATION_PATH: join(dir, "execution_calibration.json"),
  MLQ_XGB_ROUNDS: process.env.MLQ_XGB_ROUNDS ?? "10",
  MLQ_TRAIN_THREADS: process.env.MLQ_TRAIN_THREADS ?? "1",
  MLQ_LOG_LEVEL: "warn",
  // Six-field (seconds) patterns: a day's schedule every few seconds.
  MLQ_CRON_CALIBRATE: process.env.MLQ_CRON_CALIBRATE ?? "*/5 * * * * *",
  MLQ_CRON_AB_EVAL: process.env.MLQ_CRON_AB_EVAL ?? "*/10 * * * * *",
  MLQ_CRON_RETRAIN: process.env.MLQ_CRON_RETRAIN ?? "*/15 * * * * *",
  MLQ_CRON_MONITOR: process.env.MLQ_CRON_MONITOR ?? "*/7 * * * * *",
  MLQ_SCHEDULE_RECHECK_MS: "5000",
};

for (const app of ["cli", "producer", "worker-retrain", "worker-ab", "worker-calibrate", "worker-monitor"]) {
  if (!existsSync(join(root, "apps", app, "dist/main.js"))) throw new Error(`apps/${app}/dist/main.js missing: run pnpm build first`);
}

const log = (msg) => process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
log(`dir ${dir}, prefix ${prefix}, ${minutes} min`);
execFileSync(process.execPath, [join(root, "apps/cli/dist/main.js"), "demo-data", "--out", env.MLQ_DB_PATH, "--ticks", "200000", "--days", "21", "--trades", "400", "--seed", "7", "--force"], {
  env,
  stdio: "ignore",
});

const children = [];
function start(app) {
  const child = spawn(process.execPath, [join(root, "apps", app, "dist/main.js")], { env, cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c) => (stderr = (stderr + c.toString()).slice(-4000)));
  const entry = { app, child, stderr: () => stderr, rss: [], exit: null };
  child.on("exit", (code, signal) => (entry.exit = { code, signal }));
  children.push(entry);
  return entry;
}

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
async function redisMemory() {
  const info = await redis.info("memory");
  const field = (k) => new RegExp(`^${k}:(.*)$`, "m").exec(info)?.[1]?.trim();
  let keys = 0;
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    keys += batch.length;
  } while (cursor !== "0");
  return { usedMemory: field("used_memory_human"), usedMemoryBytes: Number(field("used_memory")), prefixKeys: keys };
}

const redisStart = await redisMemory();
start("producer");
const workers = ["worker-retrain", "worker-ab", "worker-calibrate", "worker-monitor"].map(start);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const endAt = Date.now() + minutes * 60_000;
await sleep(5000); // past start-up: the "start" RSS is that of a ready, idle worker
while (Date.now() < endAt) {
  for (const w of workers) {
    const kb = rssKb(w.child.pid);
    if (kb !== null) w.rss.push(kb);
  }
  const died = children.filter((c) => c.exit);
  if (died.length) {
    log(`a process died: ${died.map((c) => `${c.app} ${JSON.stringify(c.exit)} ${c.stderr().slice(-500)}`).join("; ")}`);
    break;
  }
  await sleep(Math.min(5000, Math.max(0, endAt - Date.now())));
}

const queues = Object.fromEntries(QUEUES.map((q) => [q, new Queue(q, { connection: redis, prefix })]));
const jobs = {};
for (const q of QUEUES) {
  const counts = await queues[q].getJobCounts("completed", "failed", "active", "waiting", "delayed");
  const failed = await queues[q].getJobs(["failed"], 0, 4);
  const completed = await queues[q].getJobs(["completed"], 0, 199);
  const outcomes = {};
  for (const j of completed) {
    const o = j.returnvalue?.skipped === true ? "skipped (another running)" : (j.returnvalue?.outcome ?? "completed");
    outcomes[o] = (outcomes[o] ?? 0) + 1;
  }
  jobs[q] = { ...counts, outcomes, failedReasons: failed.map((j) => j.failedReason) };
}
const redisEnd = await redisMemory();

for (const c of children) if (!c.exit) c.child.kill("SIGTERM");
await Promise.race([Promise.all(children.map((c) => (c.exit ? null : new Promise((r) => c.child.once("exit", r))))), sleep(40_000)]);
for (const c of children) if (!c.exit) c.child.kill("SIGKILL");

// A worker's first jobs load code and the WebAssembly heap: compare the peak of the last quarter of
// the run with the peak of the first quarter (after that warm-up), not with the idle start.
const rss = workers.map((w) => {
  const mb = (kb) => (kb === null || kb === undefined ? null : +(kb / 1024).toFixed(1));
  const q = Math.max(1, Math.floor(w.rss.length / 4));
  const warm = w.rss.length ? Math.max(...w.rss.slice(0, q)) : null;
  const late = w.rss.length ? Math.max(...w.rss.slice(-q)) : null;
  const growthPct = warm && late ? ((late - warm) / warm) * 100 : null;
  return {
    worker: w.app,
    startMb: mb(w.rss[0]),
    warmPeakMb: mb(warm),
    latePeakMb: mb(late),
    endMb: mb(w.rss.at(-1)),
    maxMb: w.rss.length ? mb(Math.max(...w.rss)) : null,
    growthPct: growthPct === null ? null : +growthPct.toFixed(1),
    flagged: growthPct !== null && growthPct > 20,
    samples: w.rss.length,
  };
});
const totalFailed = QUEUES.reduce((s, q) => s + jobs[q].failed, 0);
const report = { minutes, prefix, jobs, rss, redis: { start: redisStart, end: redisEnd }, totalFailed, flaggedRss: rss.filter((r) => r.flagged).map((r) => r.worker) };

for (const q of Object.values(queues)) await q.close();
// Leave nothing behind in the shared Redis.
let cursor = "0";
do {
  const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
  cursor = next;
  if (batch.length) await redis.del(...batch);
} while (cursor !== "0");
await redis.quit();
if (!keep) rmSync(dir, { recursive: true, force: true });

console.table(QUEUES.map((q) => ({ queue: q, completed: jobs[q].completed, failed: jobs[q].failed, outcomes: JSON.stringify(jobs[q].outcomes) })));
console.table(rss);
log(`redis used_memory ${redisStart.usedMemory} -> ${redisEnd.usedMemory}; ${redisEnd.prefixKeys} keys under the prefix at the end`);
console.log(JSON.stringify(report, null, 2));
if (totalFailed > 0 || report.flaggedRss.length > 0 || children.some((c) => c.exit && c.exit.signal !== "SIGTERM" && c.exit.code !== 0)) {
  log(`ATTENTION: ${totalFailed} failed job(s), RSS growth flagged for: ${report.flaggedRss.join(", ") || "none"}`);
  process.exitCode = 1;
}
