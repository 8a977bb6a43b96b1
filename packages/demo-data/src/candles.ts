// One-minute candles straight from the market model, without ticks: for simulations and benches that
// need months of bars in milliseconds (the monitor's drift rule over 20 seeds × 44 days, the drift
// step's bench). Same regime chain and return process as the demo database; open = previous close,
// high/low widened by half the minute's σ. Optional planted changes after `shiftFromMs`.
import { createRng, MINUTE_MS } from "@mlq/core";
import { writeTx, type Connection } from "@mlq/db";
import { planRegimes, simulateMinutePath } from "./market-model.js";
import { symbolProfile } from "./options.js";

/** Column arrays of one symbol's candles (the shape of @mlq/market-data's CandleSeries). */
export interface DemoCandles {
  symbol: string;
  ts: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  ticks: Int32Array;
}

export interface DemoCandleOptions {
  seed: number;
  symbols: readonly string[];
  fromMs: number;
  minutes: number;
  /** Planted changes apply to minutes at or after this time. */
  shiftFromMs?: number;
  /** Every minute's volatility × this after the shift (a volatility level never seen before). */
  volShift?: number;
  /** A drift of this many of the minute's σ added to every return after the shift (a one-way trend). */
  trendShift?: number;
}

export function simulateDemoCandles(options: DemoCandleOptions): DemoCandles[] {
  const { seed, symbols, fromMs, minutes, volShift = 1, trendShift = 0 } = options;
  const from = options.shiftFromMs === undefined ? minutes : Math.max(0, Math.ceil((options.shiftFromMs - fromMs) / MINUTE_MS));
  const plan = planRegimes(createRng(seed, "sim-regimes"), fromMs, minutes);
  if (volShift !== 1) for (let m = from; m < minutes; m++) plan.vol[m] = plan.vol[m]! * volShift;
  return symbols.map((symbol, k) => {
    const profile = symbolProfile(symbol, k);
    const rng = createRng(seed, `sim-path-${symbol}`);
    const { logPrice, minuteSigma } = simulateMinutePath(rng, plan, fromMs, profile.basePrice, profile.volMultiplier);
    let planted = 0;
    for (let m = from; m < minutes; m++) {
      planted += trendShift * minuteSigma[m]!;
      logPrice[m + 1] = logPrice[m + 1]! + planted;
    }
    const s: DemoCandles = {
      symbol,
      ts: new Float64Array(minutes),
      open: new Float64Array(minutes),
      high: new Float64Array(minutes),
      low: new Float64Array(minutes),
      close: new Float64Array(minutes),
      volume: new Float64Array(minutes),
      ticks: new Int32Array(minutes),
    };
    for (let m = 0; m < minutes; m++) {
      const o = Math.exp(logPrice[m]!);
      const c = Math.exp(logPrice[m + 1]!);
      const wick = minuteSigma[m]! * 0.5;
      s.ts[m] = fromMs + m * MINUTE_MS;
      s.open[m] = o;
      s.close[m] = c;
      s.high[m] = Math.max(o, c) * (1 + wick * Math.abs(rng.normal()));
      s.low[m] = Math.min(o, c) * (1 - wick * Math.abs(rng.normal()));
      s.volume[m] = 1;
      s.ticks[m] = 4;
    }
    return s;
  });
}

/** Writes candles straight into candles_1m in one transaction (no ticks: materialization then has nothing to add). */
export function insertDemoCandles(conn: Connection, candles: readonly DemoCandles[]): void {
  const insert = conn.sqlite.prepare("INSERT INTO candles_1m (symbol, bucket_ts_ms, open, high, low, close, ticks, volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  writeTx(conn, () => {
    for (const s of candles)
      for (let i = 0; i < s.ts.length; i++) insert.run(s.symbol, s.ts[i], s.open[i], s.high[i], s.low[i], s.close[i], s.ticks[i], s.volume[i]);
  });
}
