// Checks that one symbol's candles (@mlq/market-data's `CandleSeries`, as `loadCandles` returns
// them) can feed the features: equal column lengths, increasing time, finite positive prices.
import { InputDataError, isoUtc } from "@mlq/core";
import type { CandleSeries } from "@mlq/market-data";

const PRICE_COLUMNS = ["open", "high", "low", "close"] as const;

/** Throws an InputDataError naming the symbol, column and bar when the series cannot feed features. */
export function validateCandleSeries(series: CandleSeries): void {
  const { symbol, ts } = series;
  const n = ts.length;
  for (const col of [...PRICE_COLUMNS, "volume"] as const) {
    if (series[col].length !== n)
      throw new InputDataError(`candles for ${symbol}: column ${col} has ${series[col].length} values, ts has ${n}`, {
        context: { symbol, column: col },
      });
  }
  const priceCols = PRICE_COLUMNS.map((col) => series[col]);
  for (let i = 0; i < n; i++) {
    const t = ts[i]!;
    if (!Number.isFinite(t)) throw new InputDataError(`candles for ${symbol}: ts[${i}] is not a finite timestamp (${t})`, { context: { symbol, index: i } });
    if (i > 0 && !(t > ts[i - 1]!))
      throw new InputDataError(`candles for ${symbol}: ts not strictly increasing at index ${i} (${isoUtc(ts[i - 1]!)} then ${isoUtc(t)})`, {
        context: { symbol, index: i },
      });
    for (let c = 0; c < priceCols.length; c++) {
      const v = priceCols[c]![i]!;
      if (!(v > 0 && v < Infinity)) {
        const col = PRICE_COLUMNS[c]!;
        throw new InputDataError(`candles for ${symbol}: ${col}[${i}] is ${v} at ${isoUtc(t)} (prices must be finite and > 0)`, {
          context: { symbol, index: i, column: col },
        });
      }
    }
    if (series.high[i]! < series.low[i]!)
      throw new InputDataError(`candles for ${symbol}: high < low at index ${i} (${isoUtc(t)})`, { context: { symbol, index: i } });
  }
}
