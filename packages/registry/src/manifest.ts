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
  }
  return manifest as ModelSetManifest;
}

export function isSafeFileName(name: string): boolean {
  return SAFE_FILE.test(name);
}
