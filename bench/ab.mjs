// A/B evaluation benchmark: load + split + metrics + significance + decision over every closed
// paper trade, on a read-only connection (nothing is written to the benchmarked database).
// Build first: npx tsc -p packages/core/tsconfig.build.json && npx tsc -p packages/db/tsconfig.build.json && npx tsc -p packages/registry/tsconfig.build.json && npx tsc -p packages/ab/tsconfig.build.json
// Standalone: `node bench/ab.mjs [dbPath]` — without a path it generates 35,719 closed trades in a temp file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DEFAULT_SWAP_POLICY, evaluateArms } from "../packages/ab/dist/index.js";
import { openDatabase, openMigrated } from "../packages/db/dist/index.js";

const TARGET_MS = 200;
const WARMUP = 3;
const RUNS = 15;

export async function run({ dbPath, log = console.log }) {
  const conn = openDatabase(dbPath, { readonly: true });
  try {
    let evaluation;
    for (let i = 0; i < WARMUP; i++) evaluation = evaluateArms(conn, DEFAULT_SWAP_POLICY);
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint();
      evaluation = evaluateArms(conn, DEFAULT_SWAP_POLICY);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((x, y) => x - y);
    const median = times[Math.floor(times.length / 2)];
    const trades = evaluation.a.trades + evaluation.b.trades;
    log(`ab: ${trades} closed trades (A ${evaluation.a.trades}, B ${evaluation.b.trades}, ${evaluation.splitMethod} split), median ${median.toFixed(1)} ms over ${RUNS} runs (min ${times[0].toFixed(1)}, max ${times[times.length - 1].toFixed(1)})`);
    log(`ab: ${evaluation.decision.text}`);
    return [{ name: `ab-eval ${trades} closed trades`, median: Number(median.toFixed(2)), unit: "ms", target: TARGET_MS, pass: median <= TARGET_MS }];
  } finally {
    conn.close();
  }
}

/** Writes `n` closed paper trades (half before a successful retrain, half after) into a new DB. */
export function makeBenchDb(path, n = 35_719) {
  const conn = openMigrated(path, { create: true });
  try {
    const start = Date.UTC(2026, 0, 1);
    const retrainTs = start + Math.floor(n / 2) * 600_000;
    let seed = 42;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
    const insert = conn.sqlite.prepare(
      "INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct, model_arm) VALUES (?, ?, 'closed', ?, ?, ?, NULL)",
    );
    conn.sqlite.transaction(() => {
      for (let i = 0; i < n; i++) {
        const closed = start + i * 600_000;
        const edge = closed > retrainTs ? 0.03 : 0.01;
        const pnl = edge + (rand() - 0.5) * 1.2 + (rand() < 0.02 ? 3 * (rand() - 0.3) : 0);
        insert.run(i % 3 === 0 ? "ETH-USDT" : "BTC-USDT", i % 2 ? "long" : "short", closed - 300_000, closed, pnl);
      }
      conn.sqlite
        .prepare("INSERT INTO phase2_retrain_runs (ts_ms, ts_iso, trigger_reason, success, status) VALUES (?, ?, 'scheduled', 1, 'done')")
        .run(retrainTs, new Date(retrainTs).toISOString());
    })();
  } finally {
    conn.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let dbPath = process.argv[2];
  let tmp;
  if (!dbPath) {
    tmp = mkdtempSync(join(tmpdir(), "mlq-bench-ab-"));
    dbPath = join(tmp, "bench.db");
    makeBenchDb(dbPath);
  }
  try {
    console.log(JSON.stringify(await run({ dbPath })));
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
