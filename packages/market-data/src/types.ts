/** One row of the bot's `ticks` table as mlq reads it. */
export interface Tick {
  rowid: number;
  tsMs: number;
  symbol: string;
  price: number;
}

/** One exact 1-minute OHLCV bar; `bucketTsMs` is the minute's start (UTC, ms). */
export interface Candle {
  symbol: string;
  bucketTsMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  ticks: number;
  volume: number;
}

/** Candles of one symbol as time-ordered column arrays (what ml and calibration consume). */
export interface CandleSeries {
  symbol: string;
  ts: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  ticks: Int32Array;
}

/** A located rowid range; `probes` counts the point queries it took. */
export interface TickWindow {
  startRowid: number;
  endRowid: number;
  firstTsMs: number;
  lastTsMs: number;
  probes: number;
}
