// `pnpm bench`: runs every benchmark, each in its own child process (so peak RSS belongs to one
// benchmark), on cached databases (bench/cache.mjs) copied to a scratch directory where a benchmark
// writes. Prints a table, writes bench/results.json, exits 1 if any target fails (2 on bad usage).
// Usage: node bench/run.mjs [--only market-data,retrain,ab,calibration,queue,monitor,serve,shadow,search-flow] [--quick]
import { fork } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ensureBenchDb } from "./cache.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const RESULTS_PATH = join(HERE, "results.json");

/**
 * In run order. `db`: the cached preset it needs; `scratch`: it writes, so it gets a copy;
 * `limitMb`/`service`: MemoryMax of the systemd unit whose process does this work in production;
 * `timeoutMs`: a child still running by then is killed and reported as a failure.
 */
const BENCHES = {
  "market-data": { module: "market-data.mjs", db: "ticks-28m", scratch: true, heavy: true, limitMb: 4096, service: "mlq-worker-retrain", timeoutMs: 12 * 60_000 },
  retrain: { module: "retrain.mjs", db: "retrain-21d", scratch: false, limitMb: 4096, service: "mlq-worker-retrain", timeoutMs: 4 * 60_000 },
  ab: { module: "ab.mjs", db: "trades-35k", scratch: true, limitMb: 2048, service: "mlq-worker-ab", timeoutMs: 2 * 60_000 },
  calibration: { module: "calibration.mjs", db: "trades-35k", scratch: false, limitMb: 1024, service: "mlq-worker-calibrate", timeoutMs: 2 * 60_000 },
  queue: { module: "queue.mjs", db: "trades-35k", scratch: true, limitMb: 2048, service: "mlq-worker-ab", timeoutMs: 3 * 60_000 },
  // Builds its own database (roles, models and 35,719 tagged trades) in a temp dir: db null.
  monitor: { module: "monitor.mjs", db: null, scratch: false, limitMb: 1024, service: "mlq-worker-monitor", timeoutMs: 3 * 60_000 },
  // Trains a champion on its copy, then starts the built service as a child; this process is the HTTP client.
  serve: { module: "serve.mjs", db: "retrain-21d", scratch: true, limitMb: 512, service: "mlq-serve", timeoutMs: 5 * 60_000 },
  // Builds its own candles and two trained versions in a temp dir: db null.
  shadow: { module: "shadow.mjs", db: null, scratch: false, limitMb: 2048, service: "mlq-worker-ab", timeoutMs: 3 * 60_000 },
  // Spawns the built worker-retrain and worker-train per run, each run on its own copy of its base (so scratch false);
  // the peak RSS is this process's (the floor's in-process retrain), the workers' are their own.
  "search-flow": { module: "search-flow.mjs", db: "retrain-21d", scratch: false, limitMb: 4096, service: "mlq-worker-retrain", timeoutMs: 9 * 60_000 },
};

const REQUIRED_DIST = [
  "packages/config/dist/index.js",
  "packages/demo-data/dist/index.js",
  "packages/market-data/dist/index.js",
  "packages/ml/dist/index.js",
  "packages/ab/dist/index.js",
  "packages/calibration/dist/index.js",
  "packages/jobs/dist/index.js",
  "packages/tasks/dist/index.js",
];

const USAGE = `usage: node bench/run.mjs [--only ${Object.keys(BENCHES).join(",")}] [--quick]
  --only   run only these benchmarks (comma-separated)
  --quick  skip the 28M-tick benchmark (market-data)
Exit status: 0 if every target passes, 1 if any FAILs, 2 on bad usage.`;

const log = (line) => process.stderr.write(`${line}\n`);
const loadAverage = () => loadavg().map((x) => Number(x.toFixed(2)));

// ---- child: run one benchmark module and send its rows to the parent ----

async function runChild(name, dbPath) {
  const { run } = await import(pathToFileURL(join(HERE, BENCHES[name].module)).href);
  const cpu0 = process.cpuUsage();
  const results = await run({ dbPath, log: (line) => log(`  ${line}`) });
  const cpu = process.cpuUsage(cpu0);
  const usage = process.resourceUsage();
  await new Promise((resolve, reject) =>
    process.send({ results, peakRssMb: usage.maxRSS / 1024, cpuSec: (cpu.user + cpu.system) / 1e6 }, (err) => (err ? reject(err) : resolve())),
  );
}

function spawnBench(name, dbPath) {
  const bench = BENCHES[name];
  return new Promise((resolve) => {
    const started = performance.now();
    let message;
    let timedOut = false;
    const child = fork(fileURLToPath(import.meta.url), ["--child", name, "--db", dbPath], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const timer = setTimeout(() => {
      timedOut = true;
      log(`bench: ${name} still running after ${bench.timeoutMs / 1000} s: stopping it (pid ${child.pid})`);
      // SIGTERM first: a benchmark that spawned processes or holds Redis keys cleans them up (search-flow does).
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
    }, bench.timeoutMs);
    child.on("message", (m) => (message = m));
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      if (message && code === 0) resolve({ ok: true, seconds, ...message });
      else {
        const why = timedOut ? `timed out after ${bench.timeoutMs / 1000} s` : `exited with ${signal ?? `code ${code}`}`;
        resolve({ ok: false, seconds, error: why, results: message?.results ?? [] });
      }
    });
  });
}

// ---- parent ----

function formatTarget(target) {
  return typeof target === "number" ? `≤ ${target}` : String(target);
}

function printTable(rows) {
  const cells = rows.map((r) => [r.bench, r.name, String(r.median), r.unit, formatTarget(r.target), r.pass ? "pass" : "FAIL"]);
  const header = ["bench", "name", "median", "unit", "target", "result"];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((v, i) => (i === 2 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const c of cells) console.log(c[5] === "FAIL" ? `${line(c)}   <<<` : line(c));
}

/** trades-35k holds raw ticks only: candles are built once so calibration has its regime lookup. */
async function prepareTradesCopy(source, dir) {
  const path = join(dir, "trades-35k.db");
  copyFileSync(source, path);
  const { openMigrated } = await import(pathToFileURL(join(ROOT, "packages/db/dist/index.js")).href);
  const { materializeCandles } = await import(pathToFileURL(join(ROOT, "packages/market-data/dist/index.js")).href);
  const conn = openMigrated(path);
  try {
    const r = materializeCandles(conn);
    log(`bench: trades-35k copy: ${r.rowsWritten} candles from ${r.ticksRead} ticks`);
  } finally {
    conn.close();
  }
  return path;
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({ options: { only: { type: "string" }, quick: { type: "boolean", default: false }, help: { type: "boolean", default: false } } }));
  } catch (err) {
    console.error(`${err.message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let names = Object.keys(BENCHES);
  if (values.only !== undefined) {
    const wanted = values.only.split(",").map((s) => s.trim()).filter(Boolean);
    const unknown = wanted.filter((n) => !(n in BENCHES));
    if (unknown.length > 0 || wanted.length === 0) {
      console.error(`unknown benchmark ${unknown.join(", ") || "(none given)"}\n${USAGE}`);
      return 2;
    }
    names = names.filter((n) => wanted.includes(n));
  }
  if (values.quick) names = names.filter((n) => !BENCHES[n].heavy);
  const missing = REQUIRED_DIST.filter((p) => !existsSync(join(ROOT, p)));
  if (missing.length > 0) {
    console.error(`bench: not built (${missing.join(", ")} missing); run \`pnpm bench\`, which builds first`);
    return 2;
  }

  const machine = {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    totalMemMb: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAvgStart: loadAverage(),
  };
  const startedAt = new Date();
  log(`bench: ${names.join(", ")} on ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, load average ${machine.loadAvgStart.join(" / ")}`);

  const scratch = mkdtempSync(join(tmpdir(), "mlq-bench-run-"));
  const rows = [];
  const processes = {};
  try {
    const cached = {};
    for (const name of names) if (BENCHES[name].db) cached[BENCHES[name].db] ??= await ensureBenchDb(BENCHES[name].db, {}, { log });
    let tradesCopy;

    for (const name of names) {
      const bench = BENCHES[name];
      let dbPath = bench.db ? cached[bench.db] : "";
      let ownCopy;
      if (bench.db === "trades-35k") {
        tradesCopy ??= await prepareTradesCopy(dbPath, scratch);
        dbPath = tradesCopy;
      } else if (bench.scratch) {
        ownCopy = join(scratch, `${name}.db`);
        const t0 = performance.now();
        copyFileSync(dbPath, ownCopy);
        log(`bench: copied ${bench.db} to scratch in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        dbPath = ownCopy;
      }
      log(`bench: ${name} (load average ${loadAverage().join(" / ")})`);
      const outcome = await spawnBench(name, dbPath);
      if (ownCopy) for (const suffix of ["", "-wal", "-shm"]) rmSync(`${ownCopy}${suffix}`, { force: true });
      for (const r of outcome.results) rows.push({ bench: name, ...r });
      if (!outcome.ok) {
        rows.push({ bench: name, name: `benchmark did not finish: ${outcome.error}`, median: "-", unit: "", target: "completes", pass: false });
      } else {
        const rss = outcome.peakRssMb;
        rows.push({
          bench: name,
          name: `peak RSS of this benchmark's process vs ${bench.service} MemoryMax`,
          median: Number(rss.toFixed(1)),
          unit: "MB",
          target: `≤ ${bench.limitMb}`,
          pass: rss <= bench.limitMb,
        });
      }
      processes[name] = { ok: outcome.ok, seconds: Number(outcome.seconds.toFixed(1)), peakRssMb: outcome.peakRssMb === undefined ? null : Number(outcome.peakRssMb.toFixed(1)), cpuSec: outcome.cpuSec === undefined ? null : Number(outcome.cpuSec.toFixed(2)), error: outcome.error ?? null, systemdLimitMb: bench.limitMb, service: bench.service };
      log(`bench: ${name} done in ${outcome.seconds.toFixed(1)} s${outcome.ok ? "" : ` — ${outcome.error}`}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  machine.loadAvgEnd = loadAverage();
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  console.log("");
  printTable(rows);
  const failed = rows.filter((r) => !r.pass);
  console.log("");
  console.log(`${rows.length} figures, ${failed.length} FAIL; ${seconds.toFixed(0)} s; load average start ${machine.loadAvgStart.join(" / ")}, end ${machine.loadAvgEnd.join(" / ")} (${machine.cores} cores)`);

  const report = { timestamp: startedAt.toISOString(), durationSec: Number(seconds.toFixed(1)), machine, options: { only: values.only ?? null, quick: values.quick, benches: names }, processes, results: rows, failed: failed.length };
  const tmp = `${RESULTS_PATH}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(tmp, RESULTS_PATH);
  console.log(`wrote ${RESULTS_PATH}`);
  return failed.length > 0 ? 1 : 0;
}

const { values: childArgs } = parseArgs({ options: { child: { type: "string" }, db: { type: "string" } }, strict: false });
if (typeof childArgs.child === "string") {
  await runChild(childArgs.child, childArgs.db);
  // A handle a benchmark forgot (a timer, a socket) must not hold the run up.
  process.exit(0);
} else {
  process.exitCode = await main();
}
