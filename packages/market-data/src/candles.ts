// Read side of candles_1m: column arrays for ml/calibration/gates, symbols and coverage.
import { InputDataError } from "@mlq/core";
import { tableExists, type Sqlite } from "@mlq/db";
import type { CandleSeries } from "./types.js";

export function requireCandlesTable(sqlite: Sqlite): void {
  if (!tableExists(sqlite, "candles_1m"))
    throw new InputDataError(`candles_1m table missing in ${sqlite.name} (run migrations, then materialize candles)`, {
      context: { path: sqlite.name, table: "candles_1m" },
    });
}

export interface LoadCandlesQuery {
  symbol: string;
  /** Inclusive bucket start (ms). */
  fromMs?: number;
  /** Exclusive bucket start bound (ms). */
  toMs?: number;
}

/** Candles of one symbol with fromMs ≤ bucket < toMs, time ordered (primary-key range scan). */
export function loadCandles(sqlite: Sqlite, query: LoadCandlesQuery): CandleSeries {
  requireCandlesTable(sqlite);
  const rows = sqlite
    .prepare(
      "SELECT bucket_ts_ms, open, high, low, close, volume, ticks FROM candles_1m WHERE symbol = ? AND bucket_ts_ms >= ? AND bucket_ts_ms < ? ORDER BY bucket_ts_ms",
    )
    .raw(true)
    .all(query.symbol, query.fromMs ?? Number.MIN_SAFE_INTEGER, query.toMs ?? Number.MAX_SAFE_INTEGER) as number[][];
  const n = rows.length;
  const series: CandleSeries = {
    symbol: query.symbol,
    ts: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
    ticks: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    series.ts[i] = r[0]!;
    series.open[i] = r[1]!;
    series.high[i] = r[2]!;
    series.low[i] = r[3]!;
    series.close[i] = r[4]!;
    series.volume[i] = r[5]!;
    series.ticks[i] = r[6]!;
  }
  return series;
}

/** Distinct symbols, by hopping along the primary key (one seek per symbol, not a scan). */
export function listCandleSymbols(sqlite: Sqlite): string[] {
  requireCandlesTable(sqlite);
  const next = sqlite.prepare("SELECT min(symbol) FROM candles_1m WHERE symbol > ?").pluck();
  const symbols: string[] = [];
  let s = sqlite.prepare("SELECT min(symbol) FROM candles_1m").pluck().get() as string | null;
  while (s !== null) {
    symbols.push(s);
    s = next.get(s) as string | null;
  }
  return symbols;
}

export interface CandleCoverage {
  symbol: string;
  rows: number;
  firstTsMs: number;
  lastTsMs: number;
}

export function candleCoverage(sqlite: Sqlite): CandleCoverage[] {
  const stmt = sqlite.prepare("SELECT count(*), min(bucket_ts_ms), max(bucket_ts_ms) FROM candles_1m WHERE symbol = ?").raw(true);
  return listCandleSymbols(sqlite).map((symbol) => {
    const [rows, firstTsMs, lastTsMs] = stmt.get(symbol) as [number, number, number];
    return { symbol, rows, firstTsMs, lastTsMs };
  });
}
