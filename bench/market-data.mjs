// Market-data benchmark on the 28M-tick file: window location, stride sampling and candle
// materialization, each beside a floor measured in the same run (the same rowid seeks in one
// statement; a plain one-core scan), a first and an incremental retrain, peak RSS.
// Build first: `pnpm build` (or `pnpm bench`, which builds).
// Standalone: `node bench/market-data.mjs --db PATH`. The database must already hold ticks
// (e.g. the 28M-tick demo data). It is MODIFIED: candles are rebuilt, ticks appended and models
// trained on every run — point it at a scratch copy.
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { fullScanSample, locateTickWindow, materializeCandlesAsync, sampleTicks } from "../packages/market-data/dist/index.js";
import { openDatabase, openMigrated } from "../packages/db/dist/index.js";
import { loadConfig } from "../packages/config/dist/index.js";
import { runRetrain } from "../packages/ml/dist/index.js";

const DAY_MS = 86_400_000;
const SAMPLE_N = 10_000;
const SAMPLE_RUNS = 15;
const APPEND_N = 100_000;
const MMAP_BYTES = 2 ** 30;
/** What `mlq ticks sample` opens: read-only, a small page cache, no memory map. */
const SAMPLE_CONN = { readonly: true, cacheKb: 512 };
/** Pairs of (plain scan, threaded materialization), interleaved so both see the same load. */
const SCAN_PAIRS = 3;

/** Wall and CPU time (all threads of the process): on a shared machine CPU time shows what the code costs without contention. */
async function timeMs(fn) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, value };
}

const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function medianOf(runs, fn) {
  const runsOut = [];
  for (let i = 0; i < runs; i++) runsOut.push(await timeMs(fn));
  return { median: mid(runsOut.map((r) => r.ms)), cpuMedian: mid(runsOut.map((r) => r.cpuMs)), value: runsOut[runsOut.length - 1].value };
}

const round = (x, d = 2) => Number(x.toFixed(d));

/** Continues the series after the newest tick: same symbols, ~30 ticks/s, small random walk. */
function appendTicks(conn, n) {
  const { sqlite } = conn;
  const last = sqlite.prepare("SELECT ts_ms FROM ticks ORDER BY rowid DESC LIMIT 1").pluck().get();
  const lastPrice = sqlite.prepare("SELECT symbol, price FROM ticks WHERE rowid > (SELECT max(rowid) - 1000 FROM ticks)").raw().all();
  const prices = new Map(lastPrice.map(([s, p]) => [s, p]));
  const symbols = [...prices.keys()];
  const insert = sqlite.prepare("INSERT INTO ticks (ts_ms, symbol, price, size) VALUES (?, ?, ?, ?)");
  let ts = last;
  sqlite.transaction(() => {
    for (let i = 0; i < n; i++) {
      ts += 33;
      const s = symbols[i % symbols.length];
      const p = prices.get(s) * (1 + (Math.random() - 0.5) * 4e-4);
      prices.set(s, p);
      insert.run(ts, s, p, Math.random());
    }
  })();
}

/** The floor of a stride sample: the same rowid seeks in one statement, nothing else. */
function seekFloor(sqlite, window, n) {
  const step = (window.endRowid - window.startRowid + 1) / n;
  return sqlite
    .prepare(
      `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < :n)
       SELECT t.rowid, t.ts_ms, t.symbol, t.price FROM k JOIN ticks t ON t.rowid = :start + CAST(k.i * :step AS INTEGER)`,
    )
    .raw(true)
    .all({ n, start: window.startRowid, step });
}

/** Runs fn(sqlite) on a connection opened just before (not timed) and closed after. */
async function onFreshConnection(dbPath, fn) {
  const conn = openDatabase(dbPath, SAMPLE_CONN);
  try {
    return await timeMs(() => fn(conn.sqlite));
  } finally {
    conn.close();
  }
}

function plainScan(sqlite) {
  let n = 0;
  for (const _row of sqlite.prepare("SELECT ts_ms, price, symbol FROM ticks").iterate()) n++;
  return n;
}

export async function run({ dbPath, log = console.log }) {
  const conn = openMigrated(dbPath);
  const { sqlite } = conn;
  const results = [];
  const add = (name, median, unit, target, pass, cpuMedian) => {
    results.push({ name, median: round(median), unit, target, pass, ...(cpuMedian === undefined ? {} : { cpuMedian: round(cpuMedian) }) });
    const cpu = cpuMedian === undefined ? "" : ` [cpu ${round(cpuMedian)} ${unit}]`;
    log(`market-data: ${name}: ${round(median)} ${unit}${cpu} (target ${target}) ${pass ? "PASS" : "FAIL"}`);
  };
  const modelsDir = mkdtempSync(join(tmpdir(), "mlq-bench-md-models-"));
  try {
    const rows = sqlite.prepare("SELECT (SELECT max(rowid) FROM ticks) - (SELECT min(rowid) FROM ticks) + 1").pluck().get() ?? 0;
    if (rows === 0) throw new Error(`no ticks in ${dbPath}`);
    const [firstTs, lastTs] = [
      sqlite.prepare("SELECT ts_ms FROM ticks ORDER BY rowid LIMIT 1").pluck().get(),
      sqlite.prepare("SELECT ts_ms FROM ticks ORDER BY rowid DESC LIMIT 1").pluck().get(),
    ];
    log(`market-data: ${dbPath}: ~${rows.toLocaleString("en-US")} ticks over ${((lastTs - firstTs) / DAY_MS).toFixed(1)} days`);

    const locate = await medianOf(51, () => locateTickWindow(sqlite, { fromMs: lastTs - 7 * DAY_MS, toMs: lastTs - DAY_MS }));
    add(`locate 6-day window (${locate.value.probes} probes)`, locate.median, "ms", "≤ 5", locate.median <= 5, locate.cpuMedian);

    // Stride sample of the whole table (the range the seed's query covers) against its floor, the
    // same seeks in one statement, alternating on fresh connections opened as the CLI opens them.
    const window = sampleTicks(sqlite, { n: SAMPLE_N, fromMs: firstTs }).window;
    const samples = [];
    const floors = [];
    let sampled;
    const sampleOnce = () => onFreshConnection(dbPath, (db) => sampleTicks(db, { n: SAMPLE_N, fromMs: firstTs }));
    const floorOnce = () => onFreshConnection(dbPath, (db) => seekFloor(db, window, SAMPLE_N));
    for (let i = 0; i < SAMPLE_RUNS + 2; i++) {
      // Alternate which goes first, so neither always runs right after the other.
      const [s, f] = i % 2 === 0 ? [await sampleOnce(), await floorOnce()] : [await floorOnce(), await sampleOnce()].reverse();
      if (f.value.length !== SAMPLE_N) throw new Error(`seek floor returned ${f.value.length} rows, expected ${SAMPLE_N}`);
      sampled = s.value.ticks.length;
      if (i < 2) continue; // warm-up: JIT, OS page cache
      samples.push(s);
      floors.push(f);
    }
    const floorMs = mid(floors.map((r) => r.ms));
    const sampleMs = mid(samples.map((r) => r.ms));
    add(`FLOOR: ${SAMPLE_N} rowid seeks in one statement (recursive CTE joined on rowid), fresh connection`, floorMs, "ms", "reference", true, mid(floors.map((r) => r.cpuMs)));
    add(`stride sample ${SAMPLE_N} ticks (${sampled} returned), fresh connection as \`mlq ticks sample\` opens it`, sampleMs, "ms", "reference", true, mid(samples.map((r) => r.cpuMs)));
    const sampleRatio = mid(samples.map((s, i) => s.ms / floors[i].ms));
    const sampleCpuRatio = mid(samples.map((s, i) => s.cpuMs / floors[i].cpuMs));
    add(`stride sample / its seek floor, wall (median of ${SAMPLE_RUNS} pairs; CPU time ${round(sampleCpuRatio)}×)`, sampleRatio, "×", "≤ 1.3", sampleRatio <= 1.3);

    // A worker's long-lived connection (pages already in its cache): for comparison only.
    await medianOf(2, () => sampleTicks(sqlite, { n: SAMPLE_N, fromMs: firstTs }));
    const warm = await medianOf(SAMPLE_RUNS, () => sampleTicks(sqlite, { n: SAMPLE_N, fromMs: firstTs }));
    add(`stride sample ${SAMPLE_N} ticks, long-lived connection (16 MB page cache)`, warm.median, "ms", "reference", true, warm.cpuMedian);

    const old = await medianOf(3, () => fullScanSample(sqlite, SAMPLE_N));
    add(`old full-scan sample (${old.value.length} returned)`, old.median, "ms", "reference", true, old.cpuMedian);
    add("old full-scan sample / stride sample (fresh connection)", old.median / sampleMs, "×", "reference", true);

    // Candles on every core against a plain one-core scan, interleaved in pairs.
    const threads = availableParallelism();
    const scans = [];
    const builds = [];
    const scanOnce = () => timeMs(() => plainScan(sqlite));
    const buildOnce = () => timeMs(() => materializeCandlesAsync(conn, { rebuild: true, threads }));
    for (let i = 0; i < SCAN_PAIRS; i++) {
      const [scan, build] = i % 2 === 0 ? [await scanOnce(), await buildOnce()] : [await buildOnce(), await scanOnce()].reverse();
      scans.push(scan);
      builds.push(build);
    }
    const scanMs = mid(scans.map((r) => r.ms));
    const scanRows = scans[0].value;
    add(`FLOOR: plain full scan SELECT ts_ms, price, symbol on one core (${scanRows} rows, ${Math.round(scanRows / (scanMs / 1000))} rows/s)`, scanMs, "ms", "reference", true, mid(scans.map((r) => r.cpuMs)));
    const build = builds.at(-1).value;
    const buildMs = mid(builds.map((r) => r.ms));
    add(
      `full candle materialization on ${threads} threads (${build.rowsWritten} candles, ${Math.round(build.ticksRead / (buildMs / 1000))} ticks/s)`,
      buildMs,
      "ms",
      "reference",
      true,
      mid(builds.map((r) => r.cpuMs)),
    );
    const wallRatio = mid(builds.map((b, i) => b.ms / scans[i].ms));
    add(`materialization / plain scan, wall (each pair: ${builds.map((b, i) => round(b.ms / scans[i].ms)).join(", ")})`, wallRatio, "×", "≤ 0.6", wallRatio <= 0.6);
    const cpuRatio = mid(builds.map((b, i) => b.cpuMs / scans[i].cpuMs));
    add("materialization / plain scan, CPU time of all threads", cpuRatio, "×", "≤ 2", cpuRatio <= 2);

    // A first retrain on this file: candles from raw ticks, then gates, features, training.
    const config = loadConfig({}, { MLQ_DB_PATH: dbPath, MLQ_MODELS_DIR: modelsDir });
    const retrain = async () => {
      const nowMs = sqlite.prepare("SELECT ts_ms FROM ticks ORDER BY rowid DESC LIMIT 1").pluck().get() + 1;
      const r = await timeMs(() => runRetrain({ conn, config, nowMs }, { trigger: "force" }));
      if (r.value.outcome !== "trained") throw new Error(`retrain: expected outcome 'trained', got '${r.value.outcome}': ${r.value.message}`);
      return r;
    };
    sqlite.exec("DELETE FROM candles_1m; DELETE FROM candles_1m_watermark;");
    const first = await retrain();
    log(`market-data: first retrain stages ${JSON.stringify(first.value.stageMs)}`);
    add(`first retrain on this file (force; candles from ${first.value.candles.ticksRead} raw ticks: ${first.value.stageMs.candles} ms)`, first.ms / 1000, "s", "reference", true, first.cpuMs / 1000);

    const incRuns = [];
    for (let i = 0; i < 3; i++) {
      appendTicks(conn, APPEND_N);
      const inc = await timeMs(() => materializeCandlesAsync(conn, { threads }));
      if (inc.value.ticksRead !== APPEND_N) throw new Error(`incremental run read ${inc.value.ticksRead} ticks, expected ${APPEND_N}`);
      incRuns.push(inc);
    }
    const incMedian = mid(incRuns.map((r) => r.ms));
    add(`incremental materialization after appending ${APPEND_N} ticks`, incMedian, "ms", "≤ 1000", incMedian <= 1000, mid(incRuns.map((r) => r.cpuMs)));

    appendTicks(conn, APPEND_N);
    const next = await retrain();
    log(`market-data: incremental retrain stages ${JSON.stringify(next.value.stageMs)}`);
    add(`incremental retrain after appending ${APPEND_N} ticks (force; candles: ${next.value.stageMs.candles} ms)`, next.ms / 1000, "s", "reference", true, next.cpuMs / 1000);

    const rssMb = process.resourceUsage().maxRSS / 1024;
    add("peak RSS", rssMb, "MB", "< 1024", rssMb < 1024);

    // Mapped reads help a connection that stays open (its pages stay mapped), not a one-shot
    // process. Measured last because mapped file pages count towards peak RSS.
    const mmapBefore = sqlite.pragma("mmap_size", { simple: true });
    sqlite.pragma(`mmap_size = ${MMAP_BYTES}`);
    await medianOf(2, () => sampleTicks(sqlite, { n: SAMPLE_N, fromMs: firstTs }));
    const sampleMmap = await medianOf(SAMPLE_RUNS, () => sampleTicks(sqlite, { n: SAMPLE_N, fromMs: firstTs }));
    sqlite.pragma(`mmap_size = ${mmapBefore}`);
    add(`stride sample ${SAMPLE_N} ticks, long-lived connection with PRAGMA mmap_size=${MMAP_BYTES}`, sampleMmap.median, "ms", "reference", true, sampleMmap.cpuMedian);

    return results;
  } finally {
    conn.close();
    rmSync(modelsDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { db: { type: "string" } } });
  if (!values.db) {
    console.error("usage: node bench/market-data.mjs --db PATH (a scratch copy: the bench rebuilds candles, appends ticks and trains)");
    process.exit(2);
  }
  const results = await run({ dbPath: values.db });
  process.exitCode = results.every((r) => r.pass) ? 0 : 1;
}
