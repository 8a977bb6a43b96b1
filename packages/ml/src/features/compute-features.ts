// The 11 model features for one gap-free run of candles (SPEC 5 "Features"/"Conventions").
// Every value at bar t reads bars 0..t only; warm-up bars are NaN.
import { atrOverClose } from "./atr.js";
import { bollingerPctB } from "./bollinger.js";
import { logReturns } from "./log-returns.js";
import { macdHistOverClose } from "./macd.js";
import { rangePosition } from "./range-position.js";
import { realizedVol } from "./realized-vol.js";
import { rsi } from "./rsi.js";

export const FEATURE_NAMES = [
  "ret_1",
  "ret_5",
  "ret_15",
  "ret_60",
  "rv_20",
  "vol_ratio",
  "rsi_14",
  "macd_hist",
  "bb_pctb",
  "atr_14",
  "range_pos_20",
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];
export type FeatureColumns = Record<FeatureName, Float64Array>;

/** Price columns the features read (open and volume are not used). */
export interface PriceBars {
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
}

/** Bars a segment needs before every feature is defined (vol ratio's 100-return window). */
export const FEATURE_WARMUP_BARS = 100;

export function computeFeatures(bars: PriceBars): FeatureColumns {
  const { high, low, close } = bars;
  const rv20 = realizedVol(close, 20);
  const rv100 = realizedVol(close, 100);
  const volRatio = new Float64Array(close.length);
  for (let t = 0; t < close.length; t++) volRatio[t] = rv20[t]! / rv100[t]!;
  return {
    ret_1: logReturns(close, 1),
    ret_5: logReturns(close, 5),
    ret_15: logReturns(close, 15),
    ret_60: logReturns(close, 60),
    rv_20: rv20,
    vol_ratio: volRatio,
    rsi_14: rsi(close, 14),
    macd_hist: macdHistOverClose(close, 12, 26, 9),
    bb_pctb: bollingerPctB(close, 20, 2),
    atr_14: atrOverClose(high, low, close, 14),
    range_pos_20: rangePosition(high, low, close, 20),
  };
}
