import { integer, real, sqliteTable, text, primaryKey } from "drizzle-orm/sqlite-core";

/** Exact 1-minute OHLCV bars materialized from ticks (only minutes that have ticks). */
export const candles1m = sqliteTable(
  "candles_1m",
  {
    symbol: text("symbol").notNull(),
    bucketTsMs: integer("bucket_ts_ms").notNull(),
    open: real("open").notNull(),
    high: real("high").notNull(),
    low: real("low").notNull(),
    close: real("close").notNull(),
    ticks: integer("ticks").notNull(),
    volume: real("volume").notNull(),
  },
  (t) => [primaryKey({ columns: [t.symbol, t.bucketTsMs] })],
);

/**
 * Incremental materialization state. `last_rowid` is the last tick read; `open_bucket_ts_ms`
 * is the bar that was still open then, recomputed on the next run.
 */
export const candleWatermarks = sqliteTable("candles_1m_watermark", {
  symbol: text("symbol").primaryKey(),
  lastRowid: integer("last_rowid").notNull(),
  openBucketTsMs: integer("open_bucket_ts_ms"),
  updatedTsMs: integer("updated_ts_ms").notNull(),
  skippedTicks: integer("skipped_ticks").notNull().default(0),
});
