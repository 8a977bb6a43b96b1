// A card for every model version: what the manifest says it was trained on and how it tested,
// what it relies on (permutation importance), the sha256 of each file, and the roles it held and
// when (a replay of the role history). Pure over the manifest and the history; `readVersionCard`
// gathers both. A manifest from before a field existed shows it as not recorded, never an error.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { errorMessage, InputDataError, ModelIntegrityError } from "@mlq/core";
import type { Connection } from "@mlq/db";
import { MANIFEST_FILE, manifestFeatureImportance, parseManifest, type ModelSetManifest } from "./manifest.js";
import { applyRoleEvent, EMPTY_ROLES, type RoleEvent, type RoleName, type RoleState } from "./role-history.js";
import { readRoleEvents } from "./role-store.js";
import { checkVersionId, verifyVersion } from "./version-store.js";

/** A role a version held, from when until when (null: it still holds it) and the event that ended it. */
export interface RoleSpanView {
  readonly role: Exclude<RoleName, "none">;
  readonly fromMs: number;
  readonly toMs: number | null;
  readonly endedBy: string | null;
}

export interface CardRoleEvent {
  readonly id: number | null;
  readonly tsMs: number;
  readonly event: string;
  readonly role: string;
  readonly previousVersion: string | null;
  readonly runId: number | null;
  readonly trigger: string | null;
  readonly reason: string | null;
}

export interface CardSymbolRows {
  readonly symbol: string;
  readonly candles: number | null;
  readonly rows: number | null;
  readonly train: number | null;
  readonly test: number | null;
}

export interface CardGate {
  readonly name: string;
  readonly passed: boolean | null;
  readonly value: number | null;
  readonly threshold: number | null;
  readonly details: string | null;
}

export interface CardFeatureImportance {
  readonly feature: string;
  readonly importance: number | null;
  readonly std: number | null;
  /** 1 = the feature whose shuffling costs the most. */
  readonly rank: number | null;
}

export interface CardModelImportance {
  readonly model: string;
  readonly loss: string;
  readonly baselineLoss: number | null;
  /** Sorted by importance, highest first (features without a value last). */
  readonly features: readonly CardFeatureImportance[];
}

export interface CardImportance {
  readonly method: string;
  readonly split: string;
  readonly sampleRows: number | null;
  readonly repeats: number | null;
  readonly seed: number | null;
  readonly models: readonly CardModelImportance[];
}

export interface CardFile {
  readonly model: string;
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly format: "xgboost-legacy" | "xgboost-json";
}

export interface VersionCard {
  readonly version: string;
  readonly createdAt: string | null;
  readonly codeVersion: string;
  readonly runId: number | null;
  readonly trigger: string | null;
  /** "verified" when every file matches its sha256, else the one-line problem. */
  readonly integrity: string;
  readonly manifestSha256: string | null;
  readonly files: readonly CardFile[];
  readonly featureNames: readonly string[];
  readonly dataWindow: {
    readonly trainEndMs: number | null;
    readonly testStartMs: number | null;
    readonly testEndMs: number | null;
    readonly trainedThroughMs: number | null;
    readonly embargoHours: number | null;
    readonly symbols: readonly string[];
  };
  readonly rowCounts: Readonly<Record<string, number>>;
  /** null: not recorded (manifests written before per-symbol counts). */
  readonly rowsBySymbol: readonly CardSymbolRows[] | null;
  /** null: not recorded. */
  readonly gates: readonly CardGate[] | null;
  readonly slippageMult: number | null;
  readonly hyperparameters: Readonly<Record<string, unknown>>;
  /** Test metrics per model (numbers; null where the manifest holds a non-finite value). */
  readonly metrics: Readonly<Record<string, Readonly<Record<string, number | null>>>>;
  /** null: none recorded (manifests written before permutation importance). */
  readonly importance: CardImportance | null;
  readonly roles: {
    readonly current: readonly RoleName[];
    readonly barred: boolean;
    readonly spans: readonly RoleSpanView[];
    readonly events: readonly CardRoleEvent[];
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** The roles `version` holds in `state`. */
export function rolesHeldIn(state: RoleState, version: string): Exclude<RoleName, "none">[] {
  const held: Exclude<RoleName, "none">[] = [];
  if (state.champion?.version === version) held.push("champion");
  if (state.challenger?.version === version) held.push("challenger");
  if (state.candidates.some((c) => c.version === version)) held.push("candidate");
  if (state.previousChampion?.version === version) held.push("previous_champion");
  if (state.v1Backtest?.version === version) held.push("v1_backtest");
  return held;
}

/**
 * Every span of a role `version` held, by replaying the whole history: a promotion of another
 * version makes this one previous champion without naming it, which only the replay sees.
 */
export function roleSpansOf(events: readonly RoleEvent[], version: string): { spans: RoleSpanView[]; state: RoleState } {
  const spans: RoleSpanView[] = [];
  const open = new Map<Exclude<RoleName, "none">, number>();
  let state = EMPTY_ROLES;
  for (const e of events) {
    const next = applyRoleEvent(state, e);
    const before = rolesHeldIn(state, version);
    const after = rolesHeldIn(next, version);
    for (const role of before) {
      if (after.includes(role)) continue;
      spans[open.get(role)!] = { ...spans[open.get(role)!]!, toMs: e.tsMs, endedBy: e.event };
      open.delete(role);
    }
    for (const role of after) {
      if (open.has(role)) continue;
      open.set(role, spans.length);
      spans.push({ role, fromMs: e.tsMs, toMs: null, endedBy: null });
    }
    state = next;
  }
  return { spans, state };
}

function importanceOf(manifest: ModelSetManifest): CardImportance | null {
  const fi = manifestFeatureImportance(manifest);
  if (!fi) return null;
  const models = Object.entries(fi.models).map(([model, m]): CardModelImportance => {
    const features = Object.entries(isObject(m.importance) ? m.importance : {})
      .map(([feature, v]) => ({ feature, importance: num(v), std: num(isObject(m.std) ? m.std[feature] : null) }))
      .sort((a, b) => (b.importance ?? -Infinity) - (a.importance ?? -Infinity) || a.feature.localeCompare(b.feature));
    let rank = 0;
    return {
      model,
      loss: String(m.loss),
      baselineLoss: num(m.baseline_loss),
      features: features.map((f) => ({ ...f, rank: f.importance === null ? null : ++rank })),
    };
  });
  return { method: fi.method, split: fi.split, sampleRows: num(fi.sample_rows), repeats: num(fi.repeats), seed: num(fi.seed), models };
}

function rowsBySymbolOf(manifest: ModelSetManifest, extra: Record<string, unknown>): CardSymbolRows[] | null {
  const recorded = extra["rowsBySymbol"];
  if (isObject(recorded))
    return Object.entries(recorded).map(([symbol, r]) => {
      const o = isObject(r) ? r : {};
      return { symbol, candles: num(o["candles"]), rows: num(o["rows"]), train: num(o["train"]), test: num(o["test"]) };
    });
  // Versions written before the per-symbol counts still carry the training rows of their drift baseline.
  const drift = manifest.drift_baseline;
  if (drift && isObject(drift.symbols))
    return Object.entries(drift.symbols).map(([symbol, s]) => ({ symbol, candles: null, rows: null, train: num(s.rows), test: null }));
  return null;
}

function gatesOf(extra: Record<string, unknown>): CardGate[] | null {
  const gates = extra["gates"];
  if (!Array.isArray(gates)) return null;
  return gates.filter(isObject).map((g) => ({
    name: String(g["name"]),
    passed: typeof g["passed"] === "boolean" ? g["passed"] : null,
    value: num(g["value"]),
    threshold: num(g["threshold"]),
    details: str(g["details"]),
  }));
}

function metricsOf(manifest: ModelSetManifest): Record<string, Record<string, number | null>> {
  const out: Record<string, Record<string, number | null>> = {};
  for (const [model, m] of Object.entries(isObject(manifest.metrics) ? manifest.metrics : {}))
    if (isObject(m)) out[model] = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, num(v)]));
  return out;
}

/** The card of one version from its manifest and the whole role history. */
export function versionCard(input: {
  manifest: ModelSetManifest;
  manifestSha256: string | null;
  integrity: string;
  events: readonly (RoleEvent & { id?: number })[];
}): VersionCard {
  const { manifest } = input;
  const version = manifest.version;
  const extra = isObject(manifest["extra"]) ? manifest["extra"] : {};
  const window = isObject(manifest.data_window) ? manifest.data_window : {};
  const files: CardFile[] = Object.entries(manifest.models).flatMap(([model, e]) => [
    { model, file: e.file, sha256: e.sha256, bytes: e.bytes, format: "xgboost-legacy" as const },
    ...(e.json ? [{ model, file: e.json.file, sha256: e.json.sha256, bytes: e.json.bytes, format: "xgboost-json" as const }] : []),
  ]);
  const { spans, state } = roleSpansOf(input.events, version);
  const cv = manifest.code_version;
  return {
    version,
    createdAt: str(manifest.created_at),
    codeVersion: isObject(cv) ? `${cv.package}@${cv.package_version}${cv.git_sha ? ` (${cv.git_sha})` : ""}` : "not recorded",
    runId: num(extra["runId"]),
    trigger: str(extra["trigger"]),
    integrity: input.integrity,
    manifestSha256: input.manifestSha256,
    files,
    featureNames: Array.isArray(manifest.feature_names) ? manifest.feature_names.map(String) : [],
    dataWindow: {
      trainEndMs: num(window["train_end_ms"]),
      testStartMs: num(window["test_start_ms"]),
      testEndMs: num(window["test_end_ms"]),
      trainedThroughMs: num(manifest.trained_through_ms),
      embargoHours: num(manifest.embargo_hours),
      symbols: Array.isArray(window["symbols"]) ? window["symbols"].map(String) : [],
    },
    rowCounts: Object.fromEntries(
      Object.entries(isObject(manifest.row_counts) ? manifest.row_counts : {}).flatMap(([k, v]) => (num(v) === null ? [] : [[k, v]])),
    ),
    rowsBySymbol: rowsBySymbolOf(manifest, extra),
    gates: gatesOf(extra),
    slippageMult: num(manifest.slippage_mult),
    hyperparameters: isObject(manifest.params) ? manifest.params : {},
    metrics: metricsOf(manifest),
    importance: importanceOf(manifest),
    roles: {
      current: rolesHeldIn(state, version),
      barred: state.barred.includes(version),
      spans,
      events: input.events
        .filter((e) => e.version === version || e.previousVersion === version)
        .map((e) => ({
          id: e.id ?? null,
          tsMs: e.tsMs,
          event: e.event,
          role: e.version === version ? e.role : `${e.version} took ${e.role}`,
          previousVersion: e.previousVersion ?? null,
          runId: e.runId ?? null,
          trigger: e.trigger ?? null,
          reason: e.reason ?? null,
        })),
    },
  };
}

/**
 * Reads and checks a version (every sha256) and the role history. A version whose files fail
 * their check still gets a card with the problem as its integrity line; a missing version or an
 * unreadable manifest is an InputDataError / ModelIntegrityError naming it.
 */
export function readVersionCard(conn: Connection | null, modelsDir: string, version: string): VersionCard {
  checkVersionId(version);
  const manifestPath = join(resolve(modelsDir), version, MANIFEST_FILE);
  if (!existsSync(manifestPath))
    throw new InputDataError(`model version ${version} not found in ${resolve(modelsDir)}`, { context: { version } });
  let manifest: ModelSetManifest;
  let manifestSha256: string | null = null;
  let integrity = "verified";
  try {
    const verified = verifyVersion(modelsDir, version);
    manifest = verified.manifest;
    manifestSha256 = verified.manifestSha256;
  } catch (err) {
    if (!(err instanceof ModelIntegrityError)) throw err;
    manifest = parseManifest(readFileSync(manifestPath, "utf8"), manifestPath);
    integrity = errorMessage(err);
  }
  return versionCard({ manifest, manifestSha256, integrity, events: conn ? readRoleEvents(conn) : [] });
}
