// Benchmark: the prediction service (apps/serve, built) over HTTP on loopback. On a copy of the README
// demo database (retrain-21d, ~60,000 candles) a real retrain (default settings: 100 rounds, depth 4)
// makes the champion; the service is started as its own process, like systemd runs it. Measured with
// candles current (no new ticks, so every answer after the first at a bar comes from the per-bar
// cache): one-symbol GET /v1/predict latency p50 / p99 from one client over a keep-alive connection,
// requests per second at concurrency 8, and the service's peak RSS (VmHWM). For reference, the cost
// of the first prediction at a new bar: the five boosters scored in-process on one row.
// Build first: pnpm turbo run build. Standalone: `node bench/serve.mjs <copy of a demo database>`.
import { spawn } from "node:child_process";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { loadConfig } from "../packages/config/dist/index.js";
import { openMigrated } from "../packages/db/dist/index.js";
import { materializeCandles } from "../packages/market-data/dist/index.js";
import { FEATURE_NAMES, predict, runRetrain } from "../packages/ml/dist/index.js";
import { loadModelSet } from "../packages/registry/dist/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const END_MS = Date.UTC(2026, 10, 1);
const TOKEN = "bench-serve-token-0123456789";
const P99_TARGET_MS = 5;
const SEQUENTIAL = 3000;
const CONCURRENT = 8;
const CONCURRENT_REQUESTS = 8000;
const LIMIT_MB = 512;

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function get(agent, url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
  });
}

function startService(env) {
  const child = spawn(process.execPath, [join(ROOT, "apps/serve/dist/main.js")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench/serve.mjs: the service did not start: ${out.slice(-2000)}`)), 60_000);
    const check = () => {
      const m = /mlq serve on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on("data", check);
    child.once("exit", (code) => reject(new Error(`bench/serve.mjs: the service exited (${code}): ${out.slice(-2000)}`)));
  });
  return { child, url, output: () => out };
}

/** Peak resident set of a process (Linux /proc), in MB. */
function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export async function run({ dbPath, log = console.log } = {}) {
  if (!dbPath) throw new Error("bench/serve.mjs: give a (scratch) copy of a demo database");
  const scratch = mkdtempSync(join(tmpdir(), "mlq-bench-serve-"));
  const modelsDir = join(scratch, "models");
  const conn = openMigrated(dbPath);
  let version;
  try {
    materializeCandles(conn);
    const config = loadConfig({ MLQ_MODELS_DIR: modelsDir, MLQ_TRAIN_THREADS: "2" });
    const t0 = performance.now();
    const summary = await runRetrain({ conn, config, nowMs: END_MS }, { trigger: "force" });
    if (summary.outcome !== "trained") throw new Error(`bench/serve.mjs: the retrain did not train: ${summary.message}`);
    version = summary.version;
    log(`serve: champion ${version} trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    conn.close();
  }

  // The first prediction at a new bar: five boosters scored on one row (then cached for that bar).
  const set = loadModelSet(modelsDir, version);
  const row = Float64Array.from(FEATURE_NAMES.map((_, j) => 0.001 * (j + 1)));
  const firstCost = [];
  for (let i = 0; i < 60; i++) {
    const t = process.hrtime.bigint();
    for (const m of set.models) await predict(m.bytes, row, 1, FEATURE_NAMES.length);
    if (i >= 10) firstCost.push(Number(process.hrtime.bigint() - t) / 1e6);
  }

  const svc = startService({
    MLQ_DB_PATH: dbPath,
    MLQ_MODELS_DIR: modelsDir,
    MLQ_LOGS_DIR: join(scratch, "logs"),
    MLQ_SERVE_TOKEN: TOKEN,
    MLQ_SERVE_PORT: "0",
    MLQ_LOG_LEVEL: "warn",
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENT });
  try {
    const base = await svc.url;
    const url = `${base}/v1/predict?symbol=BTC-USDT&role=champion`;
    for (let tries = 0; ; tries++) {
      const r = await get(agent, url);
      if (r.status === 200) break;
      if (tries > 600) throw new Error(`bench/serve.mjs: no prediction after 60 s: ${r.status} ${r.body}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    for (let i = 0; i < 300; i++) await get(agent, url);

    const times = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t = process.hrtime.bigint();
      const r = await get(agent, url);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (r.status !== 200) throw new Error(`bench/serve.mjs: ${r.status} ${r.body}`);
    }
    const p50 = quantile(times, 0.5);
    const p99 = quantile(times, 0.99);

    let next = 0;
    let failures = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENT }, async () => {
        while (next++ < CONCURRENT_REQUESTS) if ((await get(agent, url)).status !== 200) failures++;
      }),
    );
    const rps = CONCURRENT_REQUESTS / ((performance.now() - t0) / 1000);
    if (failures) throw new Error(`bench/serve.mjs: ${failures} failed requests at concurrency ${CONCURRENT}`);
    const rss = peakRssMb(svc.child.pid);
    const first = quantile(firstCost, 0.5);
    log(
      `serve: GET /v1/predict one symbol over ${SEQUENTIAL} sequential requests: p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms (max ${Math.max(...times).toFixed(2)}); ${rps.toFixed(0)} req/s at concurrency ${CONCURRENT}; service peak RSS ${rss.toFixed(1)} MB; first prediction at a new bar (5 boosters, 1 row, in-process) median ${first.toFixed(2)} ms`,
    );
    const row = (name, value, unit, target = "reference") => ({
      name,
      median: value,
      unit,
      target,
      pass: target === "reference" || value <= target,
    });
    return [
      row("serve: one-symbol prediction over HTTP on loopback, p50 (candles current)", Number(p50.toFixed(3)), "ms"),
      row("serve: one-symbol prediction over HTTP on loopback, p99 (candles current)", Number(p99.toFixed(3)), "ms", P99_TARGET_MS),
      row(`serve: requests per second at concurrency ${CONCURRENT} (one symbol, keep-alive)`, Number(rps.toFixed(0)), "req/s"),
      row("serve: scoring a new bar in-process (5 boosters, 1 row; cached per bar after)", Number(first.toFixed(3)), "ms"),
      {
        ...row("serve: peak RSS of the service process (VmHWM) vs mlq-serve MemoryMax", Number(rss.toFixed(1)), "MB", LIMIT_MB),
        target: `≤ ${LIMIT_MB}`,
      },
    ];
  } finally {
    agent.destroy();
    svc.child.kill("SIGTERM");
    await new Promise((res) => (svc.child.exitCode !== null ? res() : svc.child.once("exit", res)));
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run({ dbPath: process.argv[2] })));
}
