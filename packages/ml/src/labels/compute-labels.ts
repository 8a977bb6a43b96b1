// The 5 training targets at horizon H for one gap-free run of candles (SPEC 5 "Labels").
// Labels at bar t read bars t..t+H only; the last H bars of a run have no label (NaN).
import { ConfigError } from "@mlq/core";

export const LABEL_NAMES = ["direction", "risk", "price", "momentum", "volatility"] as const;

export type LabelName = (typeof LABEL_NAMES)[number];
export type LabelColumns = Record<LabelName, Float64Array>;

export interface LabelOptions {
  /** H, in bars. At least 2: forward volatility (ddof 1) needs two returns. */
  horizonBars: number;
  /** Round-trip cost as a fraction (0.0024 = 0.24 %); direction = 1 when the forward log return beats it. */
  costFraction: number;
}

export interface LabelBars {
  readonly low: Float64Array;
  readonly close: Float64Array;
}

export function assertLabelOptions(options: LabelOptions): void {
  const { horizonBars, costFraction } = options;
  if (!Number.isInteger(horizonBars) || horizonBars < 2)
    throw new ConfigError(`horizonBars must be an integer ≥ 2 (forward volatility needs two returns), got ${horizonBars}`);
  if (!Number.isFinite(costFraction)) throw new ConfigError(`costFraction must be a finite number, got ${costFraction}`);
}

export function computeLabels(bars: LabelBars, options: LabelOptions): LabelColumns {
  assertLabelOptions(options);
  const { horizonBars: h, costFraction } = options;
  const { low, close } = bars;
  const n = close.length;
  const cols: LabelColumns = {
    direction: new Float64Array(n).fill(Number.NaN),
    risk: new Float64Array(n).fill(Number.NaN),
    price: new Float64Array(n).fill(Number.NaN),
    momentum: new Float64Array(n).fill(Number.NaN),
    volatility: new Float64Array(n).fill(Number.NaN),
  };
  // One-bar log returns and absolute moves, computed once and shared by every window.
  const ret = new Float64Array(n);
  const move = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    ret[i] = Math.log(close[i]! / close[i - 1]!);
    move[i] = Math.abs(close[i]! - close[i - 1]!);
  }
  for (let t = 0; t + h < n; t++) {
    const c0 = close[t]!;
    const cH = close[t + h]!;
    const price = Math.log(cH / c0);
    let minLow = Infinity;
    let path = 0;
    let retSum = 0;
    for (let i = t + 1; i <= t + h; i++) {
      if (low[i]! < minLow) minLow = low[i]!;
      path += move[i]!;
      retSum += ret[i]!;
    }
    const retMean = retSum / h;
    let ss = 0;
    for (let i = t + 1; i <= t + h; i++) {
      const d = ret[i]! - retMean;
      ss += d * d;
    }
    cols.price[t] = price;
    cols.direction[t] = price > costFraction ? 1 : 0;
    cols.risk[t] = Math.max(0, 1 - minLow / c0);
    // Clamped because the summed path can round a hair below |net move| on a monotone path.
    cols.momentum[t] = path === 0 ? 0 : Math.min(1, Math.max(-1, (cH - c0) / path));
    cols.volatility[t] = Math.sqrt(ss / (h - 1));
  }
  return cols;
}
