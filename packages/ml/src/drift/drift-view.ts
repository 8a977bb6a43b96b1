// The scale the drift rule watches the features on. Volatility clusters in regimes lasting hours to
// days, so on raw features a 24-hour window of an ordinary calm or stormy day lands in a few deciles
// of every scale-dependent feature at once (returns, MACD, ATR) and the rule fires on ordinary days.
// Dividing those features by the trailing 100-bar realized volatility (rv_20 / vol_ratio, so the row
// alone suffices) leaves the shape of the market — trend, momentum, range — to the rule.
import { InputDataError } from "@mlq/core";

/** The manifest's name for the view below. */
export const DRIFT_FEATURE_SCALE = "trailing-vol-100";

/** Divisor of each scale-dependent feature, in units of the per-bar trailing vol σ100 (ret_k: σ100·√k). */
const SCALED: Readonly<Record<string, number>> = Object.freeze({
  ret_1: 1,
  ret_5: Math.sqrt(5),
  ret_15: Math.sqrt(15),
  ret_60: Math.sqrt(60),
  macd_hist: 1,
  atr_14: 1,
});

/**
 * The drift view of row-major features: ret_k / (σ100·√k), macd_hist / σ100, atr_14 / σ100 with
 * σ100 = rv_20 / vol_ratio (the 100-return realized vol the features already hold); every other
 * column unchanged (rv_20 stays the one volatility-level column). Rows are finite with rv100 > 0
 * (`buildFeatureRows` drops the rest), so the view is finite.
 */
export function driftFeatureView(featureNames: readonly string[], X: ArrayLike<number>): Float64Array {
  const cols = featureNames.length;
  const rv20 = featureNames.indexOf("rv_20");
  const ratio = featureNames.indexOf("vol_ratio");
  if (rv20 < 0 || ratio < 0)
    throw new InputDataError(`driftFeatureView: needs rv_20 and vol_ratio among ${featureNames.join(", ")} (drift/drift-view.ts)`);
  const scaled = featureNames.map((f) => SCALED[f] ?? 0);
  const out = Float64Array.from(X);
  const rows = out.length / cols;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const sigma = out[o + rv20]! / out[o + ratio]!;
    for (let c = 0; c < cols; c++) if (scaled[c]! > 0) out[o + c] = out[o + c]! / (sigma * scaled[c]!);
  }
  return out;
}
