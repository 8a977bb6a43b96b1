// Market-data benchmark: window location, stride sampling (new vs the seed's full scan),
// full and incremental candle materialization, peak RSS.
// Build first: npx tsc -p packages/core/tsconfig.build.json && npx tsc -p packages/db/tsconfig.build.json && npx tsc -p packages/market-data/tsconfig.build.json
// Standalone: `node bench/market-data.mjs --db PATH`. The database must already hold ticks
// (e.g. the 28M-tick demo data). It is MODIFIED: candles are rebuilt and 100,000 ticks are
// appended on every run — point it at a scratch copy.
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { fullScanSample, locateTickWindow, materializeCandles, sampleTicks } from "../packages/market-data/dist/index.js";
import { openMigrated } from "../packages/db/dist/index.js";

const DAY_MS = 86_400_000;
const SAMPLE_N = 10_000;
const APPEND_N = 100_000;
const MMAP_BYTES = 2 ** 30;

/** Wall and CPU time: on a shared machine CPU time shows what the code costs without contention. */
function timeMs(fn) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, value };
}

const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function medianOf(runs, fn) {
  const runsOut = [];
  for (let i = 0; i < runs; i++) runsOut.push(timeMs(fn));
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

export async function run({ dbPath, log = console.log }) {
  const conn = openMigrated(dbPath);
  const { sqlite } = conn;
  const results = [];
  const add = (name, median, unit, target, pass, cpuMedian) => {
    results.push({ name, median: round(median), unit, target, pass, ...(cpuMedian === undefined ? {} : { cpuMedian: round(cpuMedian) }) });
    const cpu = cpuMedian === undefined ? "" : ` [cpu ${round(cpuMedian)} ms]`;
    log(`market-data: ${name}: ${round(median)} ${unit}${cpu} (target ${target}) ${pass ? "PASS" : "FAIL"}`);
  };
  try {
    const rows = sqlite.prepare("SELECT (SELECT max(rowid) FROM ticks) - (SELECT min(rowid) FROM ticks) + 1").pluck().get() ?? 0;
    if (rows === 0) throw new Error(`no ticks in ${dbPath}`);
    const [firstTs, lastTs] = [
      sqlite.prepare("SELECT ts_ms FROM ticks ORDER BY rowid LIMIT 1").pluck().get(),
      sqlite.prepare("SELECT ts_ms FROM ticks ORDER BY rowid DESC LIMIT 1").pluck().get(),
    ];
    log(`market-data: ${dbPath}: ~${rows.toLocaleString("en-US")} ticks over ${((lastTs - firstTs) / DAY_MS).toFixed(1)} days`);

    const locate = medianOf(51, () => locateTickWindow(sqlite, { fromMs: lastTs - 7 * DAY_MS, toMs: lastTs - DAY_MS }));
    add(`locate 6-day window (${locate.value.probes} probes)`, locate.median, "ms", "≤ 5", locate.median <= 5, locate.cpuMedian);

    // Whole table, the same range the seed's query covers.
    medianOf(2, () => sampleTicks(sqlite, { n: SAMPLE_N, fromMs: firstTs })); // warm-up
    const sample = medianOf(15, () => sampleTicks(sqlite, { n: SAMPLE_N, fromMs: firstTs }));
    add(`stride sample ${SAMPLE_N} ticks by point lookups (${sample.value.ticks.length} returned)`, sample.median, "ms", "≤ 30", sample.median <= 30, sample.cpuMedian);

    const old = medianOf(3, () => fullScanSample(sqlite, SAMPLE_N));
    add(`old full-scan sample (${old.value.length} returned)`, old.median, "ms", "reference", true, old.cpuMedian);
    const speedup = old.median / sample.median;
    add("sample speed-up vs full scan", speedup, "×", "≥ 100", speedup >= 100);

    const scan = medianOf(2, () => {
      let n = 0;
      for (const _row of sqlite.prepare("SELECT ts_ms, price, symbol FROM ticks").iterate()) n++;
      return n;
    });
    const scanRate = scan.value / (scan.median / 1000);
    add(`plain full scan SELECT ts_ms, price, symbol (${scan.value} rows)`, scan.median, "ms", "reference", true, scan.cpuMedian);

    const full = timeMs(() => materializeCandles(conn, { rebuild: true }));
    const fullRate = full.value.ticksRead / (full.ms / 1000);
    add(`full candle materialization (${full.value.rowsWritten} candles, ${Math.round(fullRate)} ticks/s)`, full.ms, "ms", "reference", true, full.cpuMs);
    // CPU-time ratio: wall times on a shared machine swing with other load.
    const slowdown = full.cpuMs / scan.cpuMedian;
    add(`materialization / plain scan, CPU time (wall ${round(full.ms / scan.median)}×, scan ${Math.round(scanRate)} rows/s)`, slowdown, "×", "≤ 2", slowdown <= 2);

    const incRuns = [];
    for (let i = 0; i < 3; i++) {
      appendTicks(conn, APPEND_N);
      const inc = timeMs(() => materializeCandles(conn));
      if (inc.value.ticksRead !== APPEND_N) throw new Error(`incremental run read ${inc.value.ticksRead} ticks, expected ${APPEND_N}`);
      incRuns.push(inc);
    }
    const incMedian = mid(incRuns.map((r) => r.ms));
    add(`incremental materialization after appending ${APPEND_N} ticks`, incMedian, "ms", "≤ 1000", incMedian <= 1000, mid(incRuns.map((r) => r.cpuMs)));

    const rssMb = process.resourceUsage().maxRSS / 1024;
    add("peak RSS", rssMb, "MB", "< 1024", rssMb < 1024);

    // Each sample lands on its own leaf page, so page access dominates: with the default 2 MB
    // page cache every one is a pread. Memory-mapped I/O (a one-line pragma in @mlq/db) removes
    // that. Measured last because mapped file pages count towards peak RSS.
    const mmapBefore = sqlite.pragma("mmap_size", { simple: true });
    sqlite.pragma(`mmap_size = ${MMAP_BYTES}`);
    medianOf(2, () => sampleTicks(sqlite, { n: SAMPLE_N, fromMs: firstTs }));
    const sampleMmap = medianOf(15, () => sampleTicks(sqlite, { n: SAMPLE_N, fromMs: firstTs }));
    sqlite.pragma(`mmap_size = ${mmapBefore}`);
    add(`stride sample ${SAMPLE_N} ticks with PRAGMA mmap_size=${MMAP_BYTES}`, sampleMmap.median, "ms", "≤ 30", sampleMmap.median <= 30, sampleMmap.cpuMedian);
    const speedupMmap = old.median / sampleMmap.median;
    add("sample speed-up vs full scan, with mmap", speedupMmap, "×", "≥ 100", speedupMmap >= 100);

    return results;
  } finally {
    conn.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { db: { type: "string" } } });
  if (!values.db) {
    console.error("usage: node bench/market-data.mjs --db PATH (a scratch copy: the bench writes candles and appends ticks)");
    process.exit(2);
  }
  const results = await run({ dbPath: values.db });
  process.exitCode = results.every((r) => r.pass) ? 0 : 1;
}
