// Benchmark databases, built once and reused: each (name, options, generator build) maps to one
// file in $MLQ_BENCH_CACHE (default ~/.cache/mlq-bench/), outside the repository.
// Build first: npx tsc -p packages/core/tsconfig.build.json && npx tsc -p packages/db/tsconfig.build.json && npx tsc -p packages/demo-data/tsconfig.build.json
// Standalone: `node bench/cache.mjs [preset ...]` builds (or finds) the presets and prints their paths.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const DEMO_DIST = join(HERE, "../packages/demo-data/dist");
/** A fixed end keeps every preset byte-for-byte reproducible whatever day it is built. */
const PRESET_END_MS = Date.UTC(2026, 10, 1);

export const PRESETS = Object.freeze({
  /** SPEC §3.1 scale: 28M ticks, 2 symbols over 21 days (~1.2 GB). */
  "ticks-28m": { ticks: 28_000_000, days: 21, symbols: ["BTC-USDT", "ETH-USDT"], trades: 400, endMs: PRESET_END_MS },
  /** The README demo: ~60,000 one-minute candles, 400 trades over the last 16 days. */
  "retrain-21d": { endMs: PRESET_END_MS },
  /**
   * 35,719 closed trades over 60 days for the A/B and calibration benchmarks. Two ticks per
   * symbol-minute (351,360) are enough for candles to cover every minute any trade touches.
   */
  "trades-35k": { ticks: 2 * 61 * 1440 * 2, days: 61, paperDays: 60, trades: 35_719, openTrades: 0, symbols: ["BTC-USDT", "ETH-USDT"], endMs: PRESET_END_MS },
});

export function benchCacheDir() {
  return process.env.MLQ_BENCH_CACHE || join(homedir(), ".cache", "mlq-bench");
}

/** Stable JSON (sorted keys) so option order never changes the cache key. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Hash of the built generator, so a changed generator never serves a stale database. */
function generatorFingerprint() {
  const hash = createHash("sha256");
  for (const file of readdirSync(DEMO_DIST).filter((f) => f.endsWith(".js")).sort()) {
    hash.update(file).update(readFileSync(join(DEMO_DIST, file)));
  }
  return hash.digest("hex");
}

async function loadGenerator() {
  const entry = join(DEMO_DIST, "index.js");
  if (!existsSync(entry)) {
    throw new Error(
      `bench/cache.mjs: ${entry} is missing; build first: npx tsc -p packages/core/tsconfig.build.json && npx tsc -p packages/db/tsconfig.build.json && npx tsc -p packages/demo-data/tsconfig.build.json`,
    );
  }
  return import(pathToFileURL(entry).href);
}

/**
 * Returns the path of the benchmark database `name` (a preset, or any name with full
 * `options`), building it on first use into a temp file and renaming it into the cache.
 * `options` override the preset's; `out`/`overwrite` are managed here.
 */
export async function ensureBenchDb(name, options = {}, { log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) throw new Error(`bench/cache.mjs: invalid database name ${JSON.stringify(name)}`);
  const { generateDemoDatabase } = await loadGenerator();
  const { out: _out, overwrite: _overwrite, ...rest } = options;
  const merged = { ...(PRESETS[name] ?? {}), ...rest };
  const key = createHash("sha256").update(canonical(merged)).update(generatorFingerprint()).digest("hex").slice(0, 12);
  const dir = benchCacheDir();
  const path = join(dir, `${name}-${key}.db`);
  if (existsSync(path)) return path;

  mkdirSync(dir, { recursive: true });
  const building = join(dir, `.${name}-${key}.${process.pid}.building.db`);
  log(`bench-cache: building ${name} (${canonical(merged)}) -> ${path}`);
  let lastTenth = -1;
  try {
    const summary = await generateDemoDatabase(
      { ...merged, out: building, overwrite: true },
      {
        progress: ({ stage, pct, detail }) => {
          const tenth = Math.floor(pct / 10);
          if (tenth > lastTenth) {
            lastTenth = tenth;
            log(`bench-cache: ${name} ${stage} ${pct}% ${detail ?? ""}`);
          }
        },
      },
    );
    const ticksPerSec = Math.round(summary.ticks / (summary.durationMs / 1000));
    writeFileSync(`${building}.json`, `${JSON.stringify({ name, key, options: merged, summary: { ...summary, path }, ticksPerSec, builtAt: new Date().toISOString() }, null, 2)}\n`);
    // Another process may have finished the same key first: its file is identical, keep it.
    if (existsSync(path)) {
      rmSync(building, { force: true });
      rmSync(`${building}.json`, { force: true });
    } else {
      renameSync(`${building}.json`, `${path}.json`);
      renameSync(building, path);
    }
    log(`bench-cache: ${name} built in ${(summary.durationMs / 1000).toFixed(1)} s (${summary.ticks} ticks, ${ticksPerSec} ticks/s, ${summary.closedTrades} closed trades)`);
    return path;
  } catch (err) {
    for (const suffix of ["", "-wal", "-shm", ".json"]) rmSync(`${building}${suffix}`, { force: true });
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const names = process.argv.slice(2);
  for (const name of names.length > 0 ? names : Object.keys(PRESETS)) {
    const path = await ensureBenchDb(name);
    console.log(`${name}\t${path}`);
  }
}
