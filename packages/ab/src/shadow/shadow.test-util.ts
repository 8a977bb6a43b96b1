// Fixtures for the shadow evaluation tests: a migrated SQLite file with one-minute candles from
// demo-data's market model (its planted, learnable momentum signal), and model versions trained on
// them with real XGBoost boosters and saved through the registry.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng, DAY_MS, HOUR_MS, MINUTE_MS } from "@mlq/core";
import { openMigrated, type Connection } from "@mlq/db";
import { insertDemoCandles, simulateDemoCandles } from "@mlq/demo-data";
import { loadCandles, listCandleSymbols } from "@mlq/market-data";
import { buildDataset, entryThreshold, FEATURE_NAMES, predict, trainBooster } from "@mlq/ml";
import { saveModelSet, type ManifestInput } from "@mlq/registry";

export const T0 = Date.UTC(2026, 2, 2);
export const H = 15;

export interface ShadowFixture {
  readonly dir: string;
  readonly modelsDir: string;
  readonly conn: Connection;
  dispose(): void;
}

export interface CandleOptions {
  readonly days: number;
  readonly symbols?: readonly string[];
  readonly seed?: number;
  /** Leave out the minutes [fromMs, toMs) of every symbol (an exchange outage). */
  readonly gap?: { readonly fromMs: number; readonly toMs: number };
}

/** A database with `days` days of one-minute candles per symbol from T0. */
export function shadowFixture(options: CandleOptions): ShadowFixture {
  const dir = mkdtempSync(join(tmpdir(), "mlq-shadow-"));
  const conn = openMigrated(join(dir, "bot.db"), { create: true });
  writeCandles(conn, options);
  return { dir, modelsDir: join(dir, "models"), conn, dispose: () => (conn.close(), rmSync(dir, { recursive: true, force: true })) };
}

export function writeCandles(conn: Connection, options: CandleOptions): void {
  const symbols = options.symbols ?? ["BTCUSDT", "ETHUSDT"];
  insertDemoCandles(conn, simulateDemoCandles({ seed: options.seed ?? 7, symbols, fromMs: T0, minutes: options.days * 1440 }));
  if (options.gap) conn.sqlite.prepare("DELETE FROM candles_1m WHERE bucket_ts_ms >= ? AND bucket_ts_ms < ?").run(options.gap.fromMs, options.gap.toMs);
}

export interface VersionOptions {
  /** Training uses candles before this time; the test split is its last 30 %. */
  readonly trainEndMs: number;
  /** Share of training labels flipped at random: a noisier copy of the same signal. */
  readonly labelNoise?: number;
  readonly seed?: number;
  readonly rounds?: number;
  /** Leave these manifest facts out (a version trained before mlq recorded them). */
  readonly omit?: readonly ("trainedThroughMs" | "entryThreshold")[];
  /** Save another model under the direction model's name's place (a set without a direction model). */
  readonly noDirection?: boolean;
  readonly embargoHours?: number;
}

/**
 * Trains a direction booster on the candles before `trainEndMs` (labels: H-bar forward return beyond
 * a 0.2 % round trip), fits its entry threshold as the 80th percentile of its test-split
 * probabilities, and saves it as `version` with trained_through_ms = the last test bar + H.
 */
export async function trainVersion(fx: ShadowFixture, version: string, options: VersionOptions): Promise<void> {
  const series = listCandleSymbols(fx.conn.sqlite).map((symbol) => loadCandles(fx.conn.sqlite, { symbol, toMs: options.trainEndMs }));
  const ds = buildDataset(series, { horizonBars: H, costFraction: 0.002 });
  const cols = FEATURE_NAMES.length;
  const split = Math.floor(ds.rows * 0.7);
  const y = Float64Array.from(ds.y.direction.subarray(0, split));
  const noise = options.labelNoise ?? 0;
  if (noise > 0) {
    const rng = createRng(options.seed ?? 1, `label-noise:${version}`);
    for (let i = 0; i < y.length; i++) if (rng.next() < noise) y[i] = 1 - y[i]!;
  }
  const bytes = await trainBooster({
    X: ds.X.subarray(0, split * cols),
    rows: split,
    cols,
    y,
    objective: "binary:logistic",
    params: { rounds: options.rounds ?? 20, maxDepth: 3, eta: 0.3, treeMethod: "hist", seed: options.seed ?? 1 },
  });
  const testRows = ds.rows - split;
  const p = await predict(bytes, ds.X.subarray(split * cols), testRows, cols);
  const threshold = entryThreshold(p, 0.8);
  const through = ds.labelEndTs[ds.rows - 1]!;
  const omit = new Set(options.omit ?? []);
  const manifest: ManifestInput = {
    featureNames: [...FEATURE_NAMES],
    params: { rounds: options.rounds ?? 20, maxDepth: 3, eta: 0.3, horizonBars: H },
    dataWindow: { symbols: ds.symbols },
    metrics: {},
    embargoHours: options.embargoHours ?? 1,
    ...(!omit.has("trainedThroughMs") && { trainedThroughMs: through }),
    ...(!omit.has("entryThreshold") && {
      entryThreshold: { model: "direction", split: "test", quantile: 0.8, threshold: threshold.threshold, rows: testRows },
    }),
  };
  saveModelSet(fx.modelsDir, version, { models: [{ name: options.noDirection ? "volatility" : "direction", bytes }], manifest });
}

/**
 * The shadow window's start for versions trained on the candles before `trainEndMs` with a 1 h
 * embargo: the last label reads the last candle (trainEndMs − 1 min), then the embargo, then 1 ms.
 */
export function windowAfter(trainEndMs: number): number {
  return trainEndMs - MINUTE_MS + HOUR_MS + 1;
}

export { DAY_MS };
