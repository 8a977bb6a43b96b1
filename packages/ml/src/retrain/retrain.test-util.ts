// Fixtures for the retrain stage tests: a migrated SQLite file in a temp dir, candles and trades
// written straight into it, a run row, and a stage context that records its progress.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng, DAY_MS, silentLogger, type ProgressFn } from "@mlq/core";
import { loadConfig, type Config } from "@mlq/config";
import { openDatabase, openMigrated, type Connection } from "@mlq/db";
import { syntheticSeries } from "../dataset/synthetic-candles.test-util.js";
import { openRetrainRun, type RetrainTrigger } from "./retrain-runs-store.js";
import type { RetrainState, StageContext } from "./stage.js";

export interface RetrainFixture {
  dir: string;
  conn: Connection;
  config: Config;
  dispose(): void;
}

/** Small, fast settings: 2 rounds in-process, 1 h embargo, relaxed data minimums. */
export function retrainFixture(env: Record<string, string> = {}): RetrainFixture {
  const dir = mkdtempSync(join(tmpdir(), "mlq-retrain-stage-"));
  const conn = openMigrated(join(dir, "bot.db"), { create: true });
  const config = loadConfig({
    MLQ_MODELS_DIR: join(dir, "models"),
    MLQ_XGB_ROUNDS: "2",
    MLQ_TRAIN_THREADS: "0",
    MLQ_EMBARGO_MIN_HOURS: "1",
    MLQ_MIN_TRAINING_ROWS: "100",
    MLQ_MIN_TEST_ROWS: "50",
    ...env,
  });
  return { dir, conn, config, dispose: () => (conn.close(), rmSync(dir, { recursive: true, force: true })) };
}

/**
 * An older bot schema without some columns (e.g. paper_trades.opened_ts_ms, ticks.price),
 * migrated the way a worker opens it: mlq's tables are added, the bot's are left alone.
 */
export function botDbLacking(dir: string, lacking: { paperTrades?: string[]; ticks?: string[] }): Connection {
  const path = join(dir, "old-bot.db");
  const ticks = ["ts_ms INTEGER NOT NULL", "symbol TEXT NOT NULL", "price REAL NOT NULL", "size REAL"];
  const trades = [
    "id INTEGER PRIMARY KEY",
    "symbol TEXT NOT NULL",
    "side TEXT NOT NULL",
    "strategy TEXT",
    "status TEXT NOT NULL",
    "opened_ts_ms INTEGER NOT NULL",
    "closed_ts_ms INTEGER",
    "entry_price REAL",
    "exit_price REAL",
    "signal_entry_price REAL",
    "signal_exit_price REAL",
    "qty REAL",
    "fees REAL",
    "pnl REAL",
    "pnl_pct REAL",
    "model_arm TEXT",
  ];
  const keep = (cols: string[], drop: string[] = []) => cols.filter((c) => !drop.includes(c.split(" ")[0]!)).join(", ");
  const raw = openDatabase(path, { create: true });
  raw.sqlite.exec(`CREATE TABLE ticks (${keep(ticks, lacking.ticks)}); CREATE TABLE paper_trades (${keep(trades, lacking.paperTrades)});`);
  raw.close();
  return openMigrated(path);
}

/** `n` one-minute candles per symbol from `startMs` (seeded random walk), written into candles_1m. */
export function insertSyntheticCandles(conn: Connection, symbols: readonly string[], n: number, startMs: number): void {
  const stmt = conn.sqlite.prepare(
    "INSERT INTO candles_1m (symbol, bucket_ts_ms, open, high, low, close, ticks, volume) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
  );
  conn.sqlite.transaction(() => {
    symbols.forEach((symbol, k) => {
      const s = syntheticSeries(symbol, n, { seed: k + 1, startTs: startMs });
      for (let i = 0; i < n; i++) stmt.run(symbol, s.ts[i], s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
    });
  })();
}

/**
 * Candles whose daily volatility differs day by day (day d's returns scale with `dayScale[d]`),
 * `barsPerDay` bars a day from `day0`, for the regime gate.
 */
export function insertRegimeCandles(conn: Connection, symbol: string, day0: number, dayScale: readonly number[], barsPerDay: number): void {
  const rng = createRng(7, `regime:${symbol}`);
  const stmt = conn.sqlite.prepare(
    "INSERT INTO candles_1m (symbol, bucket_ts_ms, open, high, low, close, ticks, volume) VALUES (?, ?, ?, ?, ?, ?, 1, 1)",
  );
  let price = 100;
  conn.sqlite.transaction(() => {
    dayScale.forEach((scale, d) => {
      for (let i = 0; i < barsPerDay; i++) {
        price *= Math.exp(rng.normal() * 0.0005 * scale);
        stmt.run(symbol, day0 + d * DAY_MS + i * 60_000, price, price, price, price);
      }
    });
  })();
}

/** `n` closed paper trades opened an hour apart from `fromMs`. */
export function insertTrades(conn: Connection, n: number, fromMs: number): void {
  const stmt = conn.sqlite.prepare(
    "INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct) VALUES ('BTC-USDT', 'long', 'closed', ?, ?, 0.1)",
  );
  conn.sqlite.transaction(() => {
    for (let i = 0; i < n; i++) stmt.run(fromMs + i * 3_600_000, fromMs + i * 3_600_000 + 60_000);
  })();
}

export interface TestContext extends StageContext {
  /** Every progress report of the stage, as the run would see it (pct of the whole run). */
  reports: Parameters<ProgressFn>[0][];
}

/** A stage context over a fresh 'running' run row. */
export function stageContext(
  fx: RetrainFixture,
  options: { trigger?: RetrainTrigger; nowMs?: number; state?: RetrainState; band?: readonly [number, number]; stage?: string } = {},
): TestContext {
  const nowMs = options.nowMs ?? Date.UTC(2026, 5, 1);
  const trigger = options.trigger ?? "scheduled";
  const [from, to] = options.band ?? [0, 100];
  const reports: TestContext["reports"] = [];
  const runId = openRetrainRun(fx.conn, {
    nowMs,
    jobId: null,
    trigger,
    volPercentileLo: fx.config.gates.volPercentileLo,
    volPercentileHi: fx.config.gates.volPercentileHi,
  });
  return {
    conn: fx.conn,
    config: fx.config,
    modelsDir: fx.config.modelsDir,
    logger: silentLogger,
    signal: undefined,
    nowMs,
    jobId: null,
    codeVersion: "test",
    trigger,
    runId,
    state: options.state ?? {},
    progress: (pct, detail) => reports.push({ stage: options.stage ?? "stage", pct: from + ((to - from) * pct) / 100, detail }),
    reports,
  };
}

/** The run row's columns, for assertions. */
export function runRow(conn: Connection, runId: number): Record<string, unknown> {
  return conn.sqlite.prepare("SELECT * FROM phase2_retrain_runs WHERE id = ?").get(runId) as Record<string, unknown>;
}
