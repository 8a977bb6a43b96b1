// The train-time drift baseline the hourly monitor compares against: per symbol and feature the
// training window's decile edges and shares, and the whole trigger rule calibrated on rolling windows
// of the training period stepped hourly, exactly as the monitor steps (issue 17 item 1).
import { HOUR_MS, InputDataError, MINUTE_MS } from "@mlq/core";
import { calibrateDriftRule, driftTriggered, type DriftCalibration } from "./drift-rule.js";
import { binIndex, binShares, decileEdges, psi, PSI_EPSILON } from "./psi.js";

/** Fewest bars a window needs to be scored (default): an hour of one-minute bars. */
export const DEFAULT_DRIFT_MIN_BARS = 60;

export interface DriftWindowOptions {
  /** Window length (the monitor's MLQ_DRIFT_WINDOW_HOURS). */
  windowMs: number;
  /** Distance between window ends, default one hour (the monitor runs hourly). */
  stepMs?: number;
  /** A window with fewer bars is not scored (default 60). */
  minBars?: number;
  /** Empty-bin smoothing of `psi` (default PSI_EPSILON). */
  epsilon?: number;
}

/** Reference bins of one column: its 9 decile edges and the share of its values in each of the 10 bins. */
export interface ReferenceBins {
  edges: number[];
  shares: number[];
}

export function referenceBins(values: ArrayLike<number>): ReferenceBins {
  const edges = decileEdges(values);
  return { edges, shares: binShares(values, edges) };
}

/**
 * Window ends on the step grid (UTC hours for the default step): the monitor at hour E scores the
 * bars with ts in [E − window, E), i.e. the bars closed by E. The first end leaves a whole window
 * after `fromMs`; the last is the newest grid point by which the bar at `toMs` has closed.
 */
export function windowEnds(fromMs: number, toMs: number, windowMs: number, stepMs = HOUR_MS): number[] {
  if (!(windowMs > 0) || !(stepMs > 0))
    throw new InputDataError(`windowEnds: window ${windowMs} ms and step ${stepMs} ms must be > 0 (drift/baseline.ts)`);
  const ends: number[] = [];
  const last = Math.floor((toMs + MINUTE_MS) / stepMs) * stepMs;
  for (let end = Math.ceil((fromMs + windowMs) / stepMs) * stepMs; end <= last; end += stepMs) ends.push(end);
  return ends;
}

/**
 * PSI of every column over each window [end − windowMs, end) of one symbol's rows (`ts` ascending),
 * against that column's reference bins; `null` for a window with fewer than `minBars` rows or reaching
 * outside the rows' own span (before the first bar or after the last bar closed). Each value is binned
 * once and the windows slide over counts, so the cost is O(rows + windows) per column; the shares are
 * the same divisions as `binShares` on the window's values, so the PSIs equal what the monitor
 * computes from `binShares` + `psi` bit for bit.
 */
export function windowPsis(
  ts: ArrayLike<number>,
  columns: readonly ArrayLike<number>[],
  reference: readonly ReferenceBins[],
  ends: readonly number[],
  options: DriftWindowOptions,
): (number[] | null)[] {
  if (columns.length !== reference.length)
    throw new InputDataError(`windowPsis: ${columns.length} columns, ${reference.length} references (drift/baseline.ts)`);
  for (const col of columns)
    if (col.length !== ts.length)
      throw new InputDataError(`windowPsis: a column has ${col.length} values for ${ts.length} timestamps (drift/baseline.ts)`);
  const binned = columns.map((col, c) => binColumn(col, reference[c]!.edges));
  return binnedWindowPsis(
    ts,
    binned,
    reference.map((r) => r.shares),
    ends,
    options,
  );
}

/** Each value's bin (`binIndex`); a non-finite value is an InputDataError (the rows fed here are all finite). */
function binColumn(col: ArrayLike<number>, edges: readonly number[]): Uint8Array {
  const bins = new Uint8Array(col.length);
  for (let i = 0; i < col.length; i++) {
    const v = col[i]!;
    if (!Number.isFinite(v)) throw new InputDataError(`drift baseline: a non-finite value at row ${i} (drift/baseline.ts)`);
    bins[i] = binIndex(v, edges);
  }
  return bins;
}

/** Shares of binned values: the same divisions as `binShares`. */
function binnedShares(bins: Uint8Array, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < bins.length; i++) counts[bins[i]!]!++;
  return counts.map((c) => c / bins.length);
}

function binnedWindowPsis(
  ts: ArrayLike<number>,
  binned: readonly Uint8Array[],
  shares: readonly number[][],
  ends: readonly number[],
  options: DriftWindowOptions,
): (number[] | null)[] {
  const { windowMs, minBars = DEFAULT_DRIFT_MIN_BARS, epsilon = PSI_EPSILON } = options;
  const n = ts.length;
  const out: (number[] | null)[] = ends.map(() => null);
  if (n === 0) return out;
  const first = ts[0]!;
  const last = ts[n - 1]!;
  // Row ranges [lo, hi) of the windows, found once for every column.
  const lo = new Int32Array(ends.length);
  const hi = new Int32Array(ends.length);
  let a = 0;
  let b = 0;
  ends.forEach((end, w) => {
    while (a < n && ts[a]! < end - windowMs) a++;
    while (b < n && ts[b]! < end) b++;
    lo[w] = a;
    hi[w] = b;
  });
  const scored = ends.map((end, w) => end - windowMs >= first && end <= last + MINUTE_MS && hi[w]! - lo[w]! >= minBars);
  for (let w = 0; w < ends.length; w++) if (scored[w]) out[w] = [];
  binned.forEach((bins, c) => {
    const expected = shares[c]!;
    const counts = new Array<number>(expected.length).fill(0);
    let from = 0;
    let to = 0;
    for (let w = 0; w < ends.length; w++) {
      while (to < hi[w]!) counts[bins[to++]!]!++;
      while (from < lo[w]!) counts[bins[from++]!]!--;
      if (!scored[w]) continue;
      const bars = hi[w]! - lo[w]!;
      out[w]!.push(
        psi(
          expected,
          counts.map((k) => k / bars),
          { epsilon },
        ),
      );
    }
  });
  return out;
}

export interface FeatureDriftInput {
  featureNames: readonly string[];
  symbols: readonly string[];
  /** Row-major features, `featureNames.length` columns. */
  X: ArrayLike<number>;
  ts: ArrayLike<number>;
  symbolIndex: ArrayLike<number>;
  /** The reference rows (the training rows), ascending. */
  rows: Int32Array;
}

export interface FeatureDriftOptions extends DriftWindowOptions {
  /** k of the rule "≥ k features of one symbol over their thresholds". */
  minFeatures: number;
  /** Per-feature threshold: this quantile (0–1) of its training-window PSIs. */
  thresholdQuantile: number;
  /** Fewer scored windows → "no baseline" for that symbol (default 48, two days stepped hourly). */
  minWindows?: number;
  /** Floor of every threshold (`calibrateDriftRule`). */
  minThreshold?: number;
}

export interface SymbolDriftBaseline {
  symbol: string;
  rows: number;
  /** Per feature (in `featureNames` order); empty when the symbol has no reference rows. */
  bins: ReferenceBins[];
  calibration: DriftCalibration;
}

export interface FeatureDriftBaseline {
  windowMs: number;
  stepMs: number;
  minBars: number;
  epsilon: number;
  minFeatures: number;
  thresholdQuantile: number;
  /** Floor of every threshold. */
  minThreshold: number;
  /** First and last reference bar. */
  fromMs: number;
  toMs: number;
  /** "calibrated" when at least one symbol is. */
  status: DriftCalibration["status"];
  /** Grid points where at least one calibrated symbol has a scored window. */
  windows: number;
  /**
   * Share of those windows on which the whole rule fires for at least one symbol (the monitor checks
   * every symbol each hour), on the training period itself; null without a baseline.
   */
  falseTriggerRate: number | null;
  /** Ends of the windows on which it fired: with a cooldown, how many retrains the training period would have caused. */
  falseTriggerEndsMs: number[];
  symbols: SymbolDriftBaseline[];
}

/**
 * Decile bins per symbol and feature from the reference rows, and the whole trigger rule calibrated
 * per symbol (`calibrateDriftRule`) on windows of `windowMs` stepped by `stepMs` over the reference
 * period. A symbol without reference rows, or with fewer than `minWindows` scored windows, has "no baseline".
 */
export function featureDriftBaseline(input: FeatureDriftInput, options: FeatureDriftOptions): FeatureDriftBaseline {
  const { featureNames, symbols, X, ts, symbolIndex, rows } = input;
  const {
    windowMs,
    stepMs = HOUR_MS,
    minBars = DEFAULT_DRIFT_MIN_BARS,
    epsilon = PSI_EPSILON,
    minFeatures,
    thresholdQuantile,
    minWindows,
    minThreshold,
  } = options;
  const cols = featureNames.length;
  if (rows.length === 0) throw new InputDataError("featureDriftBaseline: no reference rows (drift/baseline.ts)");
  const fromMs = ts[rows[0]!]!;
  const toMs = ts[rows[rows.length - 1]!]!;
  const ends = windowEnds(fromMs, toMs, windowMs, stepMs);
  const counts = new Int32Array(symbols.length);
  for (const r of rows) counts[symbolIndex[r]!]!++;
  const perSymbol = Array.from(counts, (c) => new Int32Array(c));
  counts.fill(0);
  for (const r of rows) {
    const k = symbolIndex[r]!;
    perSymbol[k]![counts[k]!++] = r;
  }

  const fired = new Uint8Array(ends.length);
  const counted = new Uint8Array(ends.length);
  const out = symbols.map((symbol, k): SymbolDriftBaseline => {
    const own = perSymbol[k]!;
    if (own.length === 0) return { symbol, rows: 0, bins: [], calibration: { status: "no baseline", windows: 0 } };
    const m = own.length;
    const symbolTs = new Float64Array(m);
    const columns = Array.from({ length: cols }, () => new Float64Array(m));
    for (let i = 0; i < m; i++) {
      const r = own[i]!;
      symbolTs[i] = ts[r]!;
      for (let c = 0; c < cols; c++) columns[c]![i] = X[r * cols + c]!;
    }
    // Each column binned once: its reference shares and every window's counts come from the same bins.
    const bins: ReferenceBins[] = [];
    const binned = columns.map((col) => {
      const edges = decileEdges(col);
      const b = binColumn(col, edges);
      bins.push({ edges, shares: binnedShares(b, edges.length + 1) });
      return b;
    });
    const psis = binnedWindowPsis(
      symbolTs,
      binned,
      bins.map((b) => b.shares),
      ends,
      { windowMs, minBars, epsilon },
    );
    const scored = psis.filter((p): p is number[] => p !== null);
    const calibration = calibrateDriftRule(scored, { minFeatures, quantile: thresholdQuantile, minWindows, minThreshold });
    if (calibration.status === "calibrated") {
      psis.forEach((p, w) => {
        if (p === null) return;
        counted[w] = 1;
        if (driftTriggered(p, calibration.thresholds, minFeatures)) fired[w] = 1;
      });
    }
    return { symbol, rows: own.length, bins, calibration };
  });
  const calibrated = out.some((s) => s.calibration.status === "calibrated");
  const windows = counted.reduce((acc, c) => acc + c, 0);
  return {
    windowMs,
    stepMs,
    minBars,
    epsilon,
    minFeatures,
    thresholdQuantile,
    minThreshold: minThreshold ?? 0,
    fromMs,
    toMs,
    status: calibrated ? "calibrated" : "no baseline",
    windows,
    falseTriggerRate: calibrated && windows > 0 ? fired.reduce((acc, f) => acc + f, 0) / windows : null,
    falseTriggerEndsMs: ends.filter((_, w) => fired[w] === 1),
    symbols: out,
  };
}

export interface PredictionBaseline {
  /** Decile bins of all the probabilities pooled. */
  pooled: ReferenceBins & { rows: number };
  /** Per symbol (symbols without rows are left out). */
  perSymbol: (ReferenceBins & { symbol: string; rows: number })[];
}

/** Decile bins of a model's probabilities (the direction model's on the test split), pooled and per symbol. */
export function predictionBaseline(
  predictions: ArrayLike<number>,
  symbolIndex: ArrayLike<number>,
  symbols: readonly string[],
): PredictionBaseline {
  if (predictions.length !== symbolIndex.length)
    throw new InputDataError(
      `predictionBaseline: ${predictions.length} predictions, ${symbolIndex.length} symbol indices (drift/baseline.ts)`,
    );
  const perSymbol: PredictionBaseline["perSymbol"] = [];
  symbols.forEach((symbol, k) => {
    const own: number[] = [];
    for (let i = 0; i < predictions.length; i++) if (symbolIndex[i] === k) own.push(predictions[i]!);
    if (own.length > 0) perSymbol.push({ symbol, rows: own.length, ...referenceBins(own) });
  });
  return { pooled: { rows: predictions.length, ...referenceBins(predictions) }, perSymbol };
}
