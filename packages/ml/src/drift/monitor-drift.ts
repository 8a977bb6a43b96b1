// The hourly monitor's side of feature drift (issue 17 items 1–2), pure: the PSI of each feature of
// one version's manifest baseline over the window of closed bars that ends at the hour, the trigger
// rule exactly as calibrated at train time, and whether the champion's drift asks for a retrain.
import { HOUR_MS, InputDataError } from "@mlq/core";
import type { ManifestDriftBaseline, ManifestReferenceBins } from "@mlq/registry";
import { DRIFT_FEATURE_SCALE, driftFeatureView } from "./drift-view.js";
import { binShares, psi } from "./psi.js";

/**
 * Per symbol: `scored` (a whole window, PSIs and thresholds), `no baseline` (the symbol had too few
 * training days to calibrate: PSIs without thresholds, never a trigger), `not in training` (the
 * version never saw the symbol), `empty window` (fewer than `min_bars` bars in the window).
 */
export type SymbolDriftStatus = "scored" | "no baseline" | "not in training" | "empty window";

export interface FeatureDriftScore {
  readonly feature: string;
  readonly psi: number;
  /** The feature's calibrated threshold (null without a baseline for the symbol). */
  readonly threshold: number | null;
  /** psi strictly above threshold. */
  readonly over: boolean;
}

export interface SymbolDriftScore {
  readonly symbol: string;
  readonly status: SymbolDriftStatus;
  /** Bars in the window. */
  readonly bars: number;
  readonly features: readonly FeatureDriftScore[];
  readonly featuresOver: number;
  /** The whole rule: at least `minFeatures` features of this symbol over their thresholds. */
  readonly triggered: boolean;
  /** PSI of the direction model's probabilities over the window against its test-split deciles (null: not computed). */
  readonly predictionPsi: number | null;
}

export interface VersionDriftScore {
  readonly version: string;
  /** `no baseline`: the manifest has no drift baseline (written before it existed) or none calibrated. */
  readonly status: "scored" | "no baseline";
  readonly windowFromMs: number;
  readonly windowToMs: number;
  /** k of the rule, from the manifest (what its false-trigger rate was calibrated for). */
  readonly minFeatures: number | null;
  /** The rule's false-trigger rate on the version's own training period (manifest). */
  readonly trainingFalseTriggerRate: number | null;
  readonly symbols: readonly SymbolDriftScore[];
  readonly triggered: boolean;
  /** One line: which symbols fired on which features, or why nothing was scored. */
  readonly reason: string;
}

/** Scoring rows: the 11 features of closed bars, row-major (`buildFeatureRows`' shape). */
export interface DriftRows {
  readonly featureNames: readonly string[];
  readonly symbols: readonly string[];
  readonly X: ArrayLike<number>;
  readonly ts: ArrayLike<number>;
  readonly symbolIndex: ArrayLike<number>;
}

export interface ScoreDriftOptions {
  /** Run time; the window ends at the last step boundary (hour) at or before it. */
  readonly nowMs: number;
  /** Direction probabilities of every row of `rows` (same order), for the prediction PSI; optional. */
  readonly predictions?: ArrayLike<number> | undefined;
}

/** The window the monitor scores at `nowMs`: [E − window, E) with E the last step boundary ≤ nowMs (closed bars only). */
export function driftWindow(
  baseline: Pick<ManifestDriftBaseline, "window_hours" | "step_hours">,
  nowMs: number,
): { fromMs: number; toMs: number } {
  const stepMs = (baseline.step_hours > 0 ? baseline.step_hours : 1) * HOUR_MS;
  const toMs = Math.floor(nowMs / stepMs) * stepMs;
  return { fromMs: toMs - baseline.window_hours * HOUR_MS, toMs };
}

function sharesOf(values: readonly number[], bins: ManifestReferenceBins, epsilon: number): number {
  return psi(bins.shares, binShares(values, bins.edges), { epsilon });
}

/**
 * Scores one version's drift at `nowMs`. Each value is binned with the manifest's decile edges and
 * the window's shares are compared with the training shares by `psi` (ε from the manifest), so a
 * window identical to a training window gives the PSI the calibration saw. `baseline` null (an
 * older manifest) → status "no baseline", not an error.
 */
export function scoreVersionDrift(
  version: string,
  baseline: ManifestDriftBaseline | null,
  rows: DriftRows,
  options: ScoreDriftOptions,
): VersionDriftScore {
  if (baseline === null) {
    return {
      version,
      status: "no baseline",
      windowFromMs: options.nowMs,
      windowToMs: options.nowMs,
      minFeatures: null,
      trainingFalseTriggerRate: null,
      symbols: [],
      triggered: false,
      reason: `version ${version}: no baseline (its manifest predates drift baselines)`,
    };
  }
  const { fromMs, toMs } = driftWindow(baseline, options.nowMs);
  const cols = rows.featureNames.length;
  if (rows.X.length !== rows.ts.length * cols || rows.symbolIndex.length !== rows.ts.length)
    throw new InputDataError(
      `scoreVersionDrift: ${rows.X.length} values for ${rows.ts.length} rows × ${cols} features (drift/monitor-drift.ts)`,
    );
  if (options.predictions && options.predictions.length !== rows.ts.length)
    throw new InputDataError(
      `scoreVersionDrift: ${options.predictions.length} predictions for ${rows.ts.length} rows (drift/monitor-drift.ts)`,
    );
  if (baseline.feature_scale !== undefined && baseline.feature_scale !== DRIFT_FEATURE_SCALE)
    throw new InputDataError(
      `scoreVersionDrift: version ${version}'s drift baseline uses feature scale ${baseline.feature_scale}, unknown here (drift/monitor-drift.ts)`,
    );
  const columnOf = new Map(rows.featureNames.map((f, c) => [f, c]));
  const inWindow: number[][] = rows.symbols.map(() => []);
  for (let r = 0; r < rows.ts.length; r++) {
    const t = rows.ts[r]!;
    if (t >= fromMs && t < toMs) inWindow[rows.symbolIndex[r]!]!.push(r);
  }
  // The values binned: the same view the baseline was built on (raw for manifests before the view).
  const X = baseline.feature_scale === DRIFT_FEATURE_SCALE ? driftFeatureView(rows.featureNames, rows.X) : rows.X;
  // Every symbol the version was trained on, and every symbol seen live.
  const names = [...new Set([...Object.keys(baseline.symbols), ...rows.symbols])].sort();
  const symbols = names.map((symbol): SymbolDriftScore => {
    const k = rows.symbols.indexOf(symbol);
    const own = k >= 0 ? inWindow[k]! : [];
    const base = baseline.symbols[symbol];
    const empty = { symbol, bars: own.length, features: [], featuresOver: 0, triggered: false, predictionPsi: null };
    if (base === undefined || base.rows === 0 || Object.keys(base.features).length === 0) return { ...empty, status: "not in training" };
    if (own.length < baseline.min_bars) return { ...empty, status: "empty window" };
    const features: FeatureDriftScore[] = [];
    for (const [feature, bins] of Object.entries(base.features)) {
      const c = columnOf.get(feature);
      if (c === undefined)
        throw new InputDataError(
          `scoreVersionDrift: version ${version} has a baseline for feature ${feature}, the rows do not (drift/monitor-drift.ts)`,
        );
      const value = sharesOf(
        own.map((r) => X[r * cols + c]!),
        bins,
        baseline.epsilon,
      );
      features.push({ feature, psi: value, threshold: bins.threshold, over: bins.threshold !== null && value > bins.threshold });
    }
    const featuresOver = features.filter((f) => f.over).length;
    const predBins = baseline.prediction.symbols[symbol] ?? baseline.prediction;
    const predictionPsi =
      options.predictions && predBins.edges.length > 0
        ? sharesOf(
            own.map((r) => options.predictions![r]!),
            predBins,
            baseline.epsilon,
          )
        : null;
    return {
      symbol,
      status: base.status === "calibrated" ? "scored" : "no baseline",
      bars: own.length,
      features,
      featuresOver,
      triggered: base.status === "calibrated" && featuresOver >= baseline.min_features,
      predictionPsi,
    };
  });
  const calibrated = baseline.status === "calibrated" && symbols.some((s) => s.status === "scored");
  const fired = symbols.filter((s) => s.triggered);
  const window = `${baseline.window_hours} h to ${new Date(toMs).toISOString()}`;
  const reason =
    fired.length > 0
      ? `version ${version}: drift on ${fired
          .map(
            (s) =>
              `${s.symbol} (${s.featuresOver} of ${s.features.length} features over their thresholds: ${s.features
                .filter((f) => f.over)
                .map((f) => `${f.feature} ${f.psi.toFixed(2)} > ${f.threshold!.toFixed(2)}`)
                .join(", ")})`,
          )
          .join("; ")}; rule ≥ ${baseline.min_features} features, window ${window}`
      : calibrated
        ? `version ${version}: no drift (${symbols
            .filter((s) => s.status === "scored")
            .map((s) => `${s.symbol} ${s.featuresOver}/${s.features.length} over`)
            .join(", ")}; rule ≥ ${baseline.min_features} features, window ${window})${notScored(symbols)}`
        : `version ${version}: no baseline${baseline.status === "calibrated" ? ` scored in window ${window}` : " (too few training days to calibrate)"}${notScored(symbols)}`;
  return {
    version,
    status: calibrated ? "scored" : "no baseline",
    windowFromMs: fromMs,
    windowToMs: toMs,
    minFeatures: baseline.min_features,
    trainingFalseTriggerRate: baseline.false_trigger_rate,
    symbols,
    triggered: fired.length > 0,
    reason,
  };
}

function notScored(symbols: readonly SymbolDriftScore[]): string {
  const left = symbols.filter((s) => s.status !== "scored");
  return left.length > 0
    ? `; not scored: ${left.map((s) => `${s.symbol} (${s.status}${s.status === "empty window" ? `, ${s.bars} bars` : ""})`).join(", ")}`
    : "";
}

export interface DriftRetrainPolicy {
  /** MLQ_DRIFT_RETRAIN. */
  readonly enabled: boolean;
  /** MLQ_DRIFT_COOLDOWN_HOURS in ms. */
  readonly cooldownMs: number;
}

export type DriftRetrainAction = "enqueue" | "none" | "cooldown" | "disabled";

/**
 * Whether the champion's drift asks for a `drift` retrain now: only the champion's rule counts (the
 * challenger's drift is recorded, not acted on); at most one per cooldown, counted from the last
 * drift retrain the monitor enqueued (`lastEnqueuedMs`); never when switched off.
 */
export function decideDriftRetrain(
  champion: VersionDriftScore | null,
  policy: DriftRetrainPolicy,
  lastEnqueuedMs: number | null,
  nowMs: number,
): { action: DriftRetrainAction; reason: string } {
  if (champion === null) return { action: "none", reason: "no champion: nothing to compare" };
  if (!champion.triggered) return { action: "none", reason: champion.reason };
  if (!policy.enabled) return { action: "disabled", reason: `${champion.reason}; drift retrains are off (MLQ_DRIFT_RETRAIN=false)` };
  if (lastEnqueuedMs !== null && nowMs - lastEnqueuedMs < policy.cooldownMs) {
    const hours = (policy.cooldownMs / HOUR_MS).toFixed(0);
    return {
      action: "cooldown",
      reason: `${champion.reason}; a drift retrain was enqueued at ${new Date(lastEnqueuedMs).toISOString()}, inside the ${hours} h cooldown`,
    };
  }
  return { action: "enqueue", reason: champion.reason };
}
