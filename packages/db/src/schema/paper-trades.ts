import { integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Owned by the trading bot. `signal_*_price` is the price when the signal fired; fills are entry/exit. */
export const paperTrades = sqliteTable("paper_trades", {
  id: integer("id").primaryKey(),
  symbol: text("symbol").notNull(),
  side: text("side", { enum: ["long", "short"] }).notNull(),
  strategy: text("strategy"),
  status: text("status", { enum: ["open", "closed"] }).notNull(),
  openedTsMs: integer("opened_ts_ms").notNull(),
  closedTsMs: integer("closed_ts_ms"),
  entryPrice: real("entry_price"),
  exitPrice: real("exit_price"),
  signalEntryPrice: real("signal_entry_price"),
  signalExitPrice: real("signal_exit_price"),
  qty: real("qty"),
  fees: real("fees"),
  pnl: real("pnl"),
  pnlPct: real("pnl_pct"),
  modelArm: text("model_arm"),
});
