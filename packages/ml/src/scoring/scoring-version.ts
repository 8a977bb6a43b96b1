// A registered version loaded for scoring: its direction booster (sha256-verified with the rest of
// the set) and the train-time facts scoring needs — the entry threshold, the last bar it learned
// from, its embargo and horizon.
import { ModelIntegrityError } from "@mlq/core";
import { loadModelSet, manifestEntryThreshold, manifestTrainedThroughMs, type ModelSetManifest } from "@mlq/registry";
import { FEATURE_NAMES } from "../features/compute-features.js";

export interface ScoringVersion {
  readonly version: string;
  /** sha256 of manifest.json (checked against the caller's when loaded by `{ version, manifestSha256 }`). */
  readonly manifestSha256: string;
  readonly manifest: ModelSetManifest;
  /** The direction model's serialized booster. */
  readonly directionBytes: Uint8Array;
  /** Every model of the set by name (serving predicts all five). */
  readonly models: ReadonlyMap<string, Uint8Array>;
  /** `entry_threshold.threshold`; null for versions trained before it was recorded. */
  readonly entryThreshold: number | null;
  /** `trained_through_ms`; null for versions trained before it was recorded. */
  readonly trainedThroughMs: number | null;
  /** The split's embargo (hours); null when the manifest has none. */
  readonly embargoHours: number | null;
  /** The label horizon H (bars) the version was trained for; null when the manifest has none. */
  readonly horizonBars: number | null;
}

/**
 * Loads and verifies a version for scoring. A missing or corrupt file, a set without a direction
 * model, or features other than the 11 this code computes is a ModelIntegrityError naming the file
 * or the version.
 */
export function loadScoringVersion(modelsDir: string, ref: string | { version: string; manifestSha256: string }): ScoringVersion {
  const set = loadModelSet(modelsDir, ref);
  const version = set.version;
  const manifest = set.manifest;
  const models = new Map(set.models.map((m) => [m.name, m.bytes] as const));
  const direction = models.get("direction");
  if (!direction)
    throw new ModelIntegrityError(`model version ${version} in ${set.versionDir} has no direction model`, {
      context: { path: set.versionDir },
    });
  const names = manifest.feature_names;
  if (names.length !== FEATURE_NAMES.length || names.some((n, i) => n !== FEATURE_NAMES[i]))
    throw new ModelIntegrityError(
      `model version ${version} was trained on features [${names.join(", ")}], this code computes [${FEATURE_NAMES.join(", ")}]`,
      {
        context: { path: set.versionDir },
      },
    );
  const horizon = manifest.params["horizon_bars"] ?? manifest.params["horizonBars"];
  return {
    version,
    manifestSha256: set.manifestSha256,
    manifest,
    directionBytes: direction,
    models,
    entryThreshold: manifestEntryThreshold(manifest)?.threshold ?? null,
    trainedThroughMs: manifestTrainedThroughMs(manifest),
    embargoHours: typeof manifest.embargo_hours === "number" && Number.isFinite(manifest.embargo_hours) ? manifest.embargo_hours : null,
    horizonBars: typeof horizon === "number" && Number.isInteger(horizon) && horizon > 0 ? horizon : null,
  };
}
