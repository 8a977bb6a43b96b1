// Brings candles_1m up to date with the ticks (incremental, in slices so the event loop turns; a
// large build on MLQ_CANDLE_THREADS worker threads).
import { candleCoverage, materializeCandlesAsync } from "@mlq/market-data";
import type { RetrainStage } from "./stage.js";

export const candlesStage: RetrainStage = {
  name: "candles",
  progress: [0, 20],
  async run(ctx) {
    const r = await materializeCandlesAsync(ctx.conn, {
      signal: ctx.signal,
      logger: ctx.logger,
      progress: (p) => ctx.progress(p.pct, p.detail),
      ...(ctx.config.candles.threads > 0 && { threads: ctx.config.candles.threads }),
    });
    ctx.state.candles = {
      rowsWritten: r.rowsWritten,
      ticksRead: r.ticksRead,
      skippedTicks: r.skippedTicks,
      coverage: candleCoverage(ctx.conn.sqlite),
    };
    return undefined;
  },
};
