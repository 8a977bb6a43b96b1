// The manifest.json of a model version: what was trained, on what, and the sha256 of
// every file, so a reader can prove a version is complete before using it.
import { ModelIntegrityError } from "@mlq/core";

export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_FORMAT = "mlq-model-set/1";

export interface ManifestModelEntry {
  file: string;
  sha256: string;
  bytes: number;
  objective?: string;
  /** The same booster in XGBoost's JSON model format (versions written before it have none). */
  json?: { file: string; sha256: string; bytes: number };
}

/** `entry_threshold`: the shadow policy enters long when the direction probability is ≥ `threshold`. */
export interface ManifestEntryThreshold {
  model: "direction";
  split: "test";
  /** The quantile of the test-split probabilities (MLQ_SHADOW_ENTRY_QUANTILE). */
  quantile: number;
  threshold: number;
  rows: number;
}

/** Decile bins of a reference sample: 9 edges (searchsorted right) and the sample's share in each of the 10 bins. */
export interface ManifestReferenceBins {
  edges: number[];
  shares: number[];
}

/** One symbol's drift baseline: per feature its bins and calibrated PSI threshold (null: no baseline). */
export interface ManifestSymbolDrift {
  rows: number;
  status: "calibrated" | "no baseline";
  /** Training windows scored for this symbol. */
  windows: number;
  /** Share of those windows on which this symbol alone fires the rule. */
  false_trigger_rate: number | null;
  features: Record<string, ManifestReferenceBins & { threshold: number | null }>;
}

/**
 * `drift_baseline`: what the hourly monitor compares against. The rule: drift when, for one symbol,
 * at least `min_features` features have PSI (ε-smoothed, `epsilon`) over the last `window_hours` of
 * closed bars strictly above their thresholds; a window with fewer than `min_bars` bars is not scored.
 */
export interface ManifestDriftBaseline {
  method: "psi-deciles";
  /**
   * The scale the features are binned on: "trailing-vol-100" = returns, MACD and ATR divided by the
   * trailing 100-bar realized vol (ml's `driftFeatureView`); absent (older manifests) = raw features.
   */
  feature_scale?: string;
  epsilon: number;
  window_hours: number;
  step_hours: number;
  min_bars: number;
  min_features: number;
  threshold_quantile: number;
  /** Floor of every threshold (MLQ_DRIFT_MIN_PSI; absent in older manifests: none). */
  min_psi?: number;
  /** The training rows the bins and thresholds come from. */
  reference: { split: "train"; from_ms: number; to_ms: number };
  status: "calibrated" | "no baseline";
  /** Hourly grid points of the training period where at least one calibrated symbol was scored. */
  windows: number;
  /** Share of those on which the rule fires for any symbol: the rule's false-trigger rate on its own training period. */
  false_trigger_rate: number | null;
  /** Ends of those windows (ms): with the monitor's cooldown, how many drift retrains the training period itself would have caused. */
  false_trigger_ends_ms: number[];
  symbols: Record<string, ManifestSymbolDrift>;
  /** Deciles of the direction model's test-split probabilities, pooled and per symbol. */
  prediction: ManifestReferenceBins & { model: "direction"; split: "test"; rows: number; symbols: Record<string, ManifestReferenceBins & { rows: number }> };
}

/** One model's permutation importance: loss(shuffled feature) − loss on the sample, per feature. */
export interface ManifestModelImportance {
  loss: "log_loss" | "rmse";
  baseline_loss: number | null;
  importance: Record<string, number | null>;
  /** Over repeats (ddof 1); absent with one repeat. */
  std?: Record<string, number | null>;
}

/** `feature_importance`: permutation importance of each model on a seeded sample of the test split. */
export interface ManifestFeatureImportance {
  method: "permutation";
  split: "test";
  sample_rows: number;
  repeats: number;
  /** `createRng(seed, stream)` drew the sample and the permutations. */
  seed: number;
  stream: string;
  models: Record<string, ManifestModelImportance>;
}

/** manifest.json as written (snake_case: the trading bot and its backtester read it too). */
export interface ModelSetManifest {
  format: typeof MANIFEST_FORMAT;
  version: string;
  created_at: string;
  code_version: { package: string; package_version: string; git_sha: string | null; label?: string };
  models: Record<string, ManifestModelEntry>;
  feature_names: string[];
  params: Record<string, unknown>;
  data_window: Record<string, unknown>;
  row_counts: Record<string, number>;
  [extra: string]: unknown;
  metrics: Record<string, unknown>;
  slippage_mult: number | null;
  embargo_hours: number | null;
  // Train-time baselines (issues 16/17); absent in manifests written before them.
  /** The last bar used for training or for choosing anything about the model (ms). */
  trained_through_ms?: number;
  trained_through_iso?: string;
  entry_threshold?: ManifestEntryThreshold;
  drift_baseline?: ManifestDriftBaseline;
  feature_importance?: ManifestFeatureImportance;
}

/**
 * What the retrain run knows about the set; the registry adds files, hashes and timestamps.
 * Any further key (runId, trigger, gates, ...) is written through under its snake_case name;
 * it cannot replace the registry's own fields (format, version, created_at, models, code_version).
 */
export interface ManifestInput {
  featureNames: string[];
  params: Record<string, unknown>;
  /** e.g. { from_ms, to_ms, symbols } */
  dataWindow: Record<string, unknown>;
  /** e.g. { train, test, dropped_non_finite, purged } */
  rowCounts?: Record<string, number>;
  metrics: Record<string, unknown>;
  slippageMult?: number | null;
  embargoHours?: number | null;
  /** A deployment's own version label, recorded beside the package version and git sha. */
  codeVersion?: string;
  [extra: string]: unknown;
}

export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** A bare file name inside the version directory: no separators, no dot-files. */
const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Parses and shape-checks manifest bytes; any defect is a ModelIntegrityError naming the file. */
export function parseManifest(text: string, path: string): ModelSetManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ModelIntegrityError(`manifest ${path} is not valid JSON (truncated or corrupt)`, { context: { path } });
  }
  const bad = (what: string): never => {
    throw new ModelIntegrityError(`manifest ${path} is invalid: ${what}`, { context: { path } });
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return bad("not an object");
  const manifest = value as Partial<ModelSetManifest>;
  if (manifest.format !== MANIFEST_FORMAT) bad(`format is ${JSON.stringify(manifest.format)}, expected ${MANIFEST_FORMAT}`);
  if (typeof manifest.version !== "string") bad("version missing");
  const models = manifest.models;
  if (typeof models !== "object" || models === null || Object.keys(models).length === 0) return bad("no models listed");
  for (const [name, entry] of Object.entries(models)) {
    if (typeof entry?.file !== "string" || !SAFE_FILE.test(entry.file)) bad(`model ${name} has an unsafe file name`);
    if (typeof entry.sha256 !== "string" || !SHA256_HEX.test(entry.sha256)) bad(`model ${name} has no sha256`);
    if (!Number.isInteger(entry.bytes) || entry.bytes < 0) bad(`model ${name} has no byte size`);
    const json = entry.json;
    if (json === undefined) continue;
    if (typeof json?.file !== "string" || !SAFE_FILE.test(json.file)) bad(`model ${name} has an unsafe json file name`);
    if (typeof json.sha256 !== "string" || !SHA256_HEX.test(json.sha256)) bad(`model ${name} has no json sha256`);
    if (!Number.isInteger(json.bytes) || json.bytes < 0) bad(`model ${name} has no json byte size`);
  }
  checkBaselines(manifest as Record<string, unknown>, bad);
  return manifest as ModelSetManifest;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Shape checks of the optional train-time baselines: absent is fine (older versions), malformed is not. */
function checkBaselines(m: Record<string, unknown>, bad: (what: string) => never): void {
  if (m.trained_through_ms !== undefined && !isFiniteNumber(m.trained_through_ms)) bad("trained_through_ms is not a timestamp");
  const entry = m.entry_threshold;
  if (entry !== undefined) {
    if (!isObject(entry) || !isFiniteNumber(entry.threshold) || !isFiniteNumber(entry.quantile) || !(entry.quantile > 0 && entry.quantile < 1))
      bad("entry_threshold needs a finite threshold and a quantile in (0, 1)");
  }
  const drift = m.drift_baseline;
  if (drift !== undefined) {
    if (!isObject(drift) || (drift.status !== "calibrated" && drift.status !== "no baseline") || !isObject(drift.symbols) || !isFiniteNumber(drift.window_hours))
      bad("drift_baseline needs a status, window_hours and symbols");
  }
  const importance = m.feature_importance;
  if (importance !== undefined) {
    if (!isObject(importance) || !isObject(importance.models)) bad("feature_importance needs models");
  }
}

/** The version's `trained_through_ms`, or null for a manifest written before it existed. */
export function manifestTrainedThroughMs(manifest: ModelSetManifest): number | null {
  return isFiniteNumber(manifest.trained_through_ms) ? manifest.trained_through_ms : null;
}

/** The version's shadow entry threshold, or null for a manifest written before it existed. */
export function manifestEntryThreshold(manifest: ModelSetManifest): ManifestEntryThreshold | null {
  return manifest.entry_threshold ?? null;
}

/** The version's drift baseline, or null ("no baseline") for a manifest written before it existed. */
export function manifestDriftBaseline(manifest: ModelSetManifest): ManifestDriftBaseline | null {
  return manifest.drift_baseline ?? null;
}

/** The version's permutation importance, or null for a manifest written before it existed. */
export function manifestFeatureImportance(manifest: ModelSetManifest): ManifestFeatureImportance | null {
  return manifest.feature_importance ?? null;
}

export function isSafeFileName(name: string): boolean {
  return SAFE_FILE.test(name);
}
