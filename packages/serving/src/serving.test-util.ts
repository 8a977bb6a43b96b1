// Fixtures for the serving tests: a migrated SQLite file in a temp dir and seeded random-walk candles.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng, MINUTE_MS, silentLogger } from "@mlq/core";
import { openMigrated, writeTx, type Connection } from "@mlq/db";
import { FEATURE_NAMES, MODEL_NAMES, MODEL_OBJECTIVES, trainBooster } from "@mlq/ml";
import { recordChampionChange, registerVersion, saveModelSet, syncRoleFiles, type ModelFile } from "@mlq/registry";

export interface DbFixture {
  dir: string;
  conn: Connection;
  dispose(): void;
}

export function dbFixture(): DbFixture {
  const dir = mkdtempSync(join(tmpdir(), "mlq-serving-"));
  const conn = openMigrated(join(dir, "bot.db"), { create: true });
  return { dir, conn, dispose: () => (conn.close(), rmSync(dir, { recursive: true, force: true })) };
}

export interface Bar {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** `n` one-minute bars from `startMs`, a seeded random walk; `gapsAt` bars start after a 30-minute hole. */
export function randomBars(n: number, startMs: number, seed: number, gapsAt: readonly number[] = []): Bar[] {
  const rng = createRng(seed, "serving-bars");
  const bars: Bar[] = [];
  let ts = startMs;
  let price = 100;
  for (let i = 0; i < n; i++) {
    if (i > 0) ts += gapsAt.includes(i) ? 30 * MINUTE_MS : MINUTE_MS;
    const open = price;
    price *= Math.exp((rng.next() - 0.5) * 0.004);
    const close = price;
    bars.push({
      ts,
      open,
      close,
      high: Math.max(open, close) * (1 + rng.next() * 0.001),
      low: Math.min(open, close) * (1 - rng.next() * 0.001),
      volume: 1 + rng.next(),
    });
  }
  return bars;
}

export function insertBars(conn: Connection, symbol: string, bars: readonly Bar[]): void {
  const stmt = conn.sqlite.prepare(
    `INSERT INTO candles_1m (symbol, bucket_ts_ms, open, high, low, close, ticks, volume) VALUES (?, ?, ?, ?, ?, ?, 1, ?)
     ON CONFLICT (symbol, bucket_ts_ms) DO UPDATE SET open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close, volume = excluded.volume`,
  );
  conn.sqlite.transaction(() => {
    for (const b of bars) stmt.run(symbol, b.ts, b.open, b.high, b.low, b.close, b.volume);
  })();
}

/** Marks `openBucketTsMs` as the bar still open (what the materializer's watermark records). */
export function setOpenBucket(conn: Connection, symbol: string, openBucketTsMs: number): void {
  conn.sqlite
    .prepare(
      `INSERT INTO candles_1m_watermark (symbol, last_rowid, open_bucket_ts_ms, updated_ts_ms, skipped_ticks) VALUES (?, 0, ?, 0, 0)
       ON CONFLICT (symbol) DO UPDATE SET open_bucket_ts_ms = excluded.open_bucket_ts_ms`,
    )
    .run(symbol, openBucketTsMs);
}

/** Five real (tiny) boosters on seeded random rows, saved as version `version` with an entry threshold. */
export async function saveTrainedVersion(modelsDir: string, version: string, seed: number): Promise<void> {
  const rng = createRng(seed, "serving-models");
  const rows = 300;
  const cols = FEATURE_NAMES.length;
  const X = Float64Array.from({ length: rows * cols }, () => rng.next() - 0.5);
  const models: ModelFile[] = [];
  for (const name of MODEL_NAMES) {
    const objective = MODEL_OBJECTIVES[name];
    const y = Float64Array.from({ length: rows }, (_, r) =>
      objective === "binary:logistic" ? (X[r * cols]! + 0.2 * rng.next() > 0 ? 1 : 0) : X[r * cols + 1]! + rng.next() * 0.1,
    );
    const bytes = await trainBooster({
      X,
      y,
      rows,
      cols,
      objective,
      params: { rounds: 3, maxDepth: 2, eta: 0.3, treeMethod: "hist", seed },
    });
    models.push({ name, bytes, objective });
  }
  saveModelSet(modelsDir, version, {
    models,
    manifest: {
      featureNames: [...FEATURE_NAMES],
      params: {},
      dataWindow: {},
      metrics: {},
      trainedThroughMs: START_OF_TIME,
      entryThreshold: { model: "direction", split: "test", quantile: 0.8, threshold: 0.5 + seed / 1000, rows: 100 },
    },
  });
}

const START_OF_TIME = Date.UTC(2026, 0, 1);

/** Registers `version` (the first one becomes champion) and syncs the role files. */
export function register(conn: Connection, modelsDir: string, version: string, nowMs: number): void {
  registerVersion(conn, modelsDir, { version, runId: null, trigger: "force", nowMs });
  syncRoleFiles(conn, modelsDir, silentLogger);
}

/** An operator's forced swap to `version`, files synced. */
export function forceSwap(conn: Connection, modelsDir: string, version: string, nowMs: number): void {
  writeTx(conn, () =>
    recordChampionChange(conn, modelsDir, {
      tsMs: nowMs,
      event: "force_swap",
      version,
      role: "champion",
      trigger: "operator",
      reason: "test",
    }),
  );
  syncRoleFiles(conn, modelsDir, silentLogger);
}
