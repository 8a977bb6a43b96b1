import { integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Owned by the trading bot: a rowid table appended in time order, no index on ts_ms. */
export const ticks = sqliteTable("ticks", {
  tsMs: integer("ts_ms").notNull(),
  symbol: text("symbol").notNull(),
  price: real("price").notNull(),
  size: real("size"),
});
