export type { Candle, CandleSeries, Tick, TickWindow } from "./types.js";
export { locateTickWindow, type TickWindowQuery } from "./tick-window.js";
export { sampleTicks, fullScanSample, type SampleTicksOptions, type TickSample } from "./sample-ticks.js";
export { materializeCandles, materializeCandlesAsync, requireTickColumns, TICK_COLUMNS, type MaterializeCandlesOptions, type MaterializeCandlesAsyncOptions, type MaterializeCandlesResult } from "./materialize-candles.js";
export { loadCandles, listCandleSymbols, candleCoverage, type LoadCandlesQuery, type CandleCoverage } from "./candles.js";
