import { logReturns } from "./log-returns.js";
import { rollingStd } from "./rolling-std.js";

/** Rolling std (ddof 1, not annualized) of the last `window` one-bar log returns; valid from t = window. */
export function realizedVol(close: Float64Array, window: number): Float64Array {
  return rollingStd(logReturns(close, 1), window, 1, 1);
}
