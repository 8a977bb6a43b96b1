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

/** Candles of one symbol as time-ordered column arrays (what ml's features and the gates consume). */
export interface CandleSeries {
  readonly symbol: string;
  /** Bucket start, ms since epoch, strictly increasing. */
  readonly ts: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  readonly ticks: Int32Array;
}

/** A located rowid range; `probes` counts the point queries it took. */
export interface TickWindow {
  startRowid: number;
  endRowid: number;
  firstTsMs: number;
  lastTsMs: number;
  probes: number;
}
