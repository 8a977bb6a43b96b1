import { InputDataError, percentile } from "@mlq/core";
import { binShares, decileEdges, psi, type PsiOptions } from "./psi.js";

/**
 * PSI of each window `series[start, start + windowLen)`, start = 0, step, 2·step, … (only whole
 * windows), against the decile bins of `reference` (edges and shares both from `reference`). For the
 * monitor's rule: hourly bars, windowLen 24, step 1.
 */
export function rollingWindowPsi(
  reference: ArrayLike<number>,
  series: ArrayLike<number>,
  windowLen: number,
  step: number,
  options: PsiOptions = {},
): number[] {
  if (!Number.isInteger(windowLen) || windowLen < 1 || !Number.isInteger(step) || step < 1) {
    throw new InputDataError(`rollingWindowPsi: windowLen ${windowLen} and step ${step} must be positive integers (drift/drift-rule.ts)`);
  }
  const edges = decileEdges(reference);
  const expected = binShares(reference, edges);
  const out: number[] = [];
  for (let start = 0; start + windowLen <= series.length; start += step) {
    const window = Array.prototype.slice.call(series, start, start + windowLen) as number[];
    out.push(psi(expected, binShares(window, edges), options));
  }
  return out;
}

/** How many features have a PSI strictly above their threshold. */
export function featuresOverThreshold(psis: readonly number[], thresholds: readonly number[]): number {
  let n = 0;
  for (let f = 0; f < thresholds.length; f++) if (psis[f]! > thresholds[f]!) n++;
  return n;
}

/** The whole drift rule: at least `minFeatures` features over their thresholds. */
export function driftTriggered(psis: readonly number[], thresholds: readonly number[], minFeatures: number): boolean {
  return featuresOverThreshold(psis, thresholds) >= minFeatures;
}

export interface CalibrateDriftOptions {
  /** k of the rule "≥ k features over their thresholds". */
  minFeatures: number;
  /** Per-feature threshold = this quantile (0–1, e.g. 0.99) of the feature's training-window PSIs. */
  quantile: number;
  /** Fewer training windows than this → "no baseline" (default 48: two days stepped hourly). */
  minWindows?: number;
  /** Floor of every threshold (default 0): a quantile near PSI's sampling noise would flag ordinary windows. */
  minThreshold?: number;
}

export type DriftCalibration =
  | { status: "calibrated"; thresholds: number[]; falseTriggerRate: number; windows: number }
  | { status: "no baseline"; windows: number };

/**
 * Calibrates the whole drift rule on the training period. `trainingWindows[w][f]` is the PSI of
 * feature f over training window w (rolling 24-hour windows stepped hourly, as the monitor steps;
 * see {@link rollingWindowPsi}). Each feature's threshold is the `quantile` (numpy-linear) of its
 * window PSIs; `falseTriggerRate` is the share of those same windows on which the rule
 * "≥ minFeatures features strictly over their thresholds" fires — the rate at which the monitor
 * would flag the (by definition undrifted) training period itself. Fewer than `minWindows` windows:
 * `{ status: "no baseline" }`. Caveat: PSI is bounded (all of a window in one decile ≈ 8.28 with
 * ε = 1e-4), so for a feature persistent enough that training windows already reach that bound the
 * threshold saturates and the feature can never fire — normalize it or lengthen the window.
 */
export function calibrateDriftRule(trainingWindows: readonly (readonly number[])[], options: CalibrateDriftOptions): DriftCalibration {
  const { minFeatures, quantile } = options;
  const minWindows = options.minWindows ?? 48;
  const windows = trainingWindows.length;
  if (!(quantile >= 0 && quantile <= 1)) throw new InputDataError(`calibrateDriftRule: quantile ${quantile} outside [0, 1] (drift/drift-rule.ts)`);
  if (!Number.isInteger(minFeatures) || minFeatures < 1) {
    throw new InputDataError(`calibrateDriftRule: minFeatures ${minFeatures} must be a positive integer (drift/drift-rule.ts)`);
  }
  if (windows < minWindows) return { status: "no baseline", windows };
  const features = trainingWindows[0]!.length;
  if (trainingWindows.some((w) => w.length !== features)) {
    throw new InputDataError(`calibrateDriftRule: windows have differing feature counts (drift/drift-rule.ts)`);
  }
  const thresholds: number[] = [];
  const floor = options.minThreshold ?? 0;
  for (let f = 0; f < features; f++) thresholds.push(Math.max(floor, percentile(trainingWindows.map((w) => w[f]!), quantile * 100)));
  const triggers = trainingWindows.filter((w) => driftTriggered(w, thresholds, minFeatures)).length;
  return { status: "calibrated", thresholds, falseTriggerRate: triggers / windows, windows };
}
