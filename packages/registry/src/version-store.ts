// Immutable model versions: `models/<version>/` holds the model files and manifest.json.
// A version is built in `models/.tmp-<version>-<rand>/`, every file fsynced, then the
// directory is renamed into place, so a reader never sees a half-written version.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { InputDataError, MlqError, ModelIntegrityError, OutputError, ensureDir, errorMessage, fsyncDir, sha256 } from "@mlq/core";
import {
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  isSafeFileName,
  parseManifest,
  snakeCase,
  type ManifestInput,
  type ModelSetManifest,
} from "./manifest.js";
import { formatXgboostJson, isLegacyXgboostBinary, legacyXgboostToJson } from "./xgboost-json.js";

export const POINTERS_DIR = "pointers";
const TEMP_PREFIX = ".tmp-";
const VERSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const STALE_TEMP_MS = 60 * 60 * 1000;

export interface ModelFile {
  name: string;
  bytes: Uint8Array;
  objective?: string;
  /**
   * `bytes` already in XGBoost's JSON model format (`xgboostJsonFromLegacy`, which yields to the
   * event loop); without it `saveModelSet` converts legacy XGBoost bytes itself.
   */
  xgboostJson?: string;
}

/** The package whose code trained a set: manifest `code_version.package` / `package_version`. */
export interface CodePackage {
  readonly name: string;
  readonly version: string;
}

export interface SaveModelSetOptions {
  /** Commit of the code that trained the set, when the deployment knows it. */
  gitSha?: string | null;
  /** The trainer (the retrain passes @mlq/ml's); defaults to @mlq/registry's own name and version. */
  codePackage?: CodePackage;
  now?: () => Date;
}

export interface SavedVersion {
  version: string;
  versionDir: string;
  manifestSha256: string;
  manifest: ModelSetManifest;
}

export interface VerifiedVersion {
  version: string;
  versionDir: string;
  manifest: ModelSetManifest;
  manifestSha256: string;
}

export interface LoadedModelSet extends VerifiedVersion {
  models: ModelFile[];
}

export interface VersionSummary {
  version: string;
  versionDir: string;
  createdAt: string | null;
}

/** Throws unless `version` is usable as a directory name under the models dir. */
export function checkVersionId(version: string): string {
  if (!VERSION_ID.test(version) || version === POINTERS_DIR) {
    throw new InputDataError(`model version id ${JSON.stringify(version)} must be 1-128 of [A-Za-z0-9._-], not starting with . or -`);
  }
  return version;
}

/** Writes a complete model version; refuses to touch an existing one. */
export function saveModelSet(
  modelsDir: string,
  runId: string | number,
  set: { models: ModelFile[]; manifest: ManifestInput },
  options: SaveModelSetOptions = {},
): SavedVersion {
  const version = checkVersionId(String(runId));
  if (set.models.length === 0) throw new InputDataError(`model set ${version} has no models`);
  const names = new Set<string>();
  for (const model of set.models) {
    if (!isSafeFileName(model.name)) throw new InputDataError(`model name ${JSON.stringify(model.name)} is not a safe file name`);
    if (names.has(model.name)) throw new InputDataError(`model ${model.name} appears twice in set ${version}`);
    names.add(model.name);
  }
  const jsonModels = xgboostJsonModels(version, set.models, set.manifest.featureNames);
  const root = resolve(modelsDir);
  ensureDir(root);
  const versionDir = join(root, version);
  if (existsSync(versionDir)) {
    throw new OutputError(`model version ${versionDir} already exists; versions are immutable`, { context: { versionDir } });
  }
  removeStaleTempDirs(root, STALE_TEMP_MS, options.now?.() ?? new Date());

  const tempDir = join(root, `${TEMP_PREFIX}${version}-${randomBytes(4).toString("hex")}`);
  try {
    mkdirSync(tempDir);
    const entries: ModelSetManifest["models"] = {};
    for (const model of set.models) {
      const file = `${model.name}.xgb`;
      writeFileDurable(join(tempDir, file), model.bytes);
      const jsonText = jsonModels.get(model.name);
      let json: ModelSetManifest["models"][string]["json"];
      if (jsonText !== undefined) {
        const jsonBytes = Buffer.from(jsonText, "utf8");
        writeFileDurable(join(tempDir, xgboostJsonFile(model.name)), jsonBytes);
        json = { file: xgboostJsonFile(model.name), sha256: sha256(jsonBytes), bytes: jsonBytes.length };
      }
      entries[model.name] = {
        file,
        sha256: sha256(model.bytes),
        bytes: model.bytes.length,
        ...(model.objective ? { objective: model.objective } : {}),
        ...(json ? { json } : {}),
      };
    }
    const { featureNames, params, dataWindow, rowCounts, metrics, slippageMult, embargoHours, codeVersion, ...rest } = set.manifest;
    const extras = Object.fromEntries(Object.entries(rest).map(([key, value]) => [snakeCase(key), value]));
    const code = options.codePackage ?? ownCodePackage();
    const manifest: ModelSetManifest = {
      ...extras,
      format: MANIFEST_FORMAT,
      version,
      created_at: (options.now?.() ?? new Date()).toISOString(),
      code_version: {
        package: code.name,
        package_version: code.version,
        git_sha: options.gitSha ?? null,
        ...(codeVersion ? { label: codeVersion } : {}),
      },
      models: entries,
      feature_names: featureNames,
      params,
      data_window: dataWindow,
      row_counts: rowCounts ?? {},
      metrics,
      slippage_mult: slippageMult ?? null,
      embargo_hours: embargoHours ?? null,
    };
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    writeFileDurable(join(tempDir, MANIFEST_FILE), manifestText);
    fsyncDir(tempDir);
    if (existsSync(versionDir)) {
      throw new OutputError(`model version ${versionDir} already exists; versions are immutable`, { context: { versionDir } });
    }
    renameSync(tempDir, versionDir);
    fsyncDir(root);
    // Returned as written (NaN metrics became null), so callers see what readers will see.
    return { version, versionDir, manifestSha256: sha256(manifestText), manifest: JSON.parse(manifestText) as ModelSetManifest };
  } catch (err) {
    rmSync(tempDir, { recursive: true, force: true });
    if (err instanceof OutputError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "EIO";
    throw new OutputError(`cannot write model version ${versionDir}: ${code}`, { cause: err, context: { versionDir } });
  }
}

/** `direction` -> `direction.json`: the booster in XGBoost's JSON model format, beside `direction.xgb`. */
function xgboostJsonFile(modelName: string): string {
  return `${modelName}.json`;
}

/**
 * XGBoost JSON text of every model: the caller's `xgboostJson`, or else, when the bytes are a legacy
 * XGBoost binary (what ml-xgboost writes), converted here before anything touches the disk. Bytes of
 * another shape get no JSON file; a file that has the shape but does not convert stops the save with
 * the converter's one-line reason.
 */
function xgboostJsonModels(version: string, models: ModelFile[], featureNames: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const model of models) {
    if (model.xgboostJson === undefined && !isLegacyXgboostBinary(model.bytes)) continue;
    if (xgboostJsonFile(model.name) === MANIFEST_FILE) {
      throw new InputDataError(`model name ${JSON.stringify(model.name)} would write its XGBoost JSON over ${MANIFEST_FILE}`);
    }
    if (model.xgboostJson !== undefined) {
      out.set(model.name, model.xgboostJson);
      continue;
    }
    try {
      out.set(model.name, formatXgboostJson(legacyXgboostToJson(model.bytes, { featureNames })));
    } catch (err) {
      const Err = err instanceof MlqError && !(err instanceof ModelIntegrityError) ? InputDataError : ModelIntegrityError;
      throw new Err(`model ${model.name} of set ${version} cannot be converted to XGBoost JSON: ${errorMessage(err)}`, { cause: err });
    }
  }
  return out;
}

/** Proves a version complete: manifest parses and every file (XGBoost JSON ones too) matches its size and sha256. */
export function verifyVersion(modelsDir: string, version: string, expectedManifestSha256?: string): VerifiedVersion {
  return readVersion(modelsDir, version, expectedManifestSha256, false);
}

/**
 * Loads a verified model set by version id or by pointer (whose manifestSha256 must then
 * match too, which catches a manifest edited after the pointer was written).
 */
export function loadModelSet(modelsDir: string, ref: string | { version: string; manifestSha256: string }): LoadedModelSet {
  const loaded =
    typeof ref === "string" ? readVersion(modelsDir, ref, undefined, true) : readVersion(modelsDir, ref.version, ref.manifestSha256, true);
  return loaded as LoadedModelSet;
}

function readVersion(
  modelsDir: string,
  version: string,
  expectedManifestSha256: string | undefined,
  keepBytes: boolean,
): VerifiedVersion | LoadedModelSet {
  checkVersionId(version);
  const versionDir = join(resolve(modelsDir), version);
  const manifestPath = join(versionDir, MANIFEST_FILE);
  const manifestBytes = readIntegrityFile(manifestPath, `manifest of model version ${version}`);
  const manifestSha256 = sha256(manifestBytes);
  if (expectedManifestSha256 !== undefined && manifestSha256 !== expectedManifestSha256) {
    throw new ModelIntegrityError(
      `manifest ${manifestPath} was modified: sha256 ${manifestSha256} but the pointer expects ${expectedManifestSha256}`,
      {
        context: { path: manifestPath },
      },
    );
  }
  const manifest = parseManifest(Buffer.from(manifestBytes).toString("utf8"), manifestPath);
  if (manifest.version !== version) {
    throw new ModelIntegrityError(`manifest ${manifestPath} names version ${manifest.version}, expected ${version}`, {
      context: { path: manifestPath },
    });
  }
  const models: ModelFile[] = [];
  for (const [name, entry] of Object.entries(manifest.models)) {
    const bytes = readVerifiedFile(versionDir, entry, `model ${name}`);
    if (entry.json) readVerifiedFile(versionDir, entry.json, `model ${name} (XGBoost JSON)`);
    if (keepBytes) models.push({ name, bytes, ...(entry.objective ? { objective: entry.objective } : {}) });
  }
  const verified: VerifiedVersion = { version, versionDir, manifest, manifestSha256 };
  return keepBytes ? { ...verified, models } : verified;
}

function readVerifiedFile(versionDir: string, entry: { file: string; sha256: string; bytes: number }, what: string): Uint8Array {
  const path = join(versionDir, entry.file);
  const bytes = readIntegrityFile(path, what);
  if (bytes.length !== entry.bytes) {
    throw new ModelIntegrityError(`model file ${path} has ${bytes.length} bytes, manifest says ${entry.bytes} (truncated?)`, {
      context: { path },
    });
  }
  if (sha256(bytes) !== entry.sha256) {
    throw new ModelIntegrityError(`model file ${path} fails its sha256 check`, { context: { path } });
  }
  return bytes;
}

function readIntegrityFile(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "EIO";
    const problem = code === "ENOENT" ? "is missing" : `cannot be read (${code})`;
    throw new ModelIntegrityError(`${what}: file ${path} ${problem}`, { cause: err, context: { path } });
  }
}

/** Complete version directories (those with a manifest), oldest first. */
export function listVersions(modelsDir: string): VersionSummary[] {
  const root = resolve(modelsDir);
  if (!existsSync(root)) return [];
  const out: VersionSummary[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".") || entry.name === POINTERS_DIR) continue;
    const versionDir = join(root, entry.name);
    const manifestPath = join(versionDir, MANIFEST_FILE);
    if (!existsSync(manifestPath)) continue;
    let createdAt: string | null = null;
    try {
      const parsed = JSON.parse(readFileSync(manifestPath, "utf8")) as { created_at?: unknown };
      createdAt = typeof parsed.created_at === "string" ? parsed.created_at : null;
    } catch {
      /* listed anyway: verifyVersion reports what is wrong with it */
    }
    out.push({ version: entry.name, versionDir, createdAt });
  }
  return out.sort((a, b) => (a.createdAt ?? "").localeCompare(b.createdAt ?? "") || a.version.localeCompare(b.version));
}

/** Fails early (before training) when versions or pointers could not be written. */
export function checkModelsDirWritable(modelsDir: string): void {
  const root = resolve(modelsDir);
  for (const dir of [root, join(root, POINTERS_DIR)]) {
    try {
      mkdirSync(dir, { recursive: true });
      const probe = join(dir, `.write-probe-${process.pid}-${randomBytes(4).toString("hex")}`);
      writeFileDurable(probe, "probe");
      unlinkSync(probe);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as { cause?: NodeJS.ErrnoException }).cause?.code ?? "EIO";
      throw new OutputError(`models directory ${dir} is not writable: ${code}`, { cause: err, context: { dir } });
    }
  }
}

/** Removes `.tmp-*` build directories left by a crash, once they are older than `maxAgeMs`. */
export function removeStaleTempDirs(modelsDir: string, maxAgeMs: number, now: Date = new Date()): string[] {
  const root = resolve(modelsDir);
  const removed: string[] = [];
  if (!existsSync(root)) return removed;
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith(TEMP_PREFIX)) continue;
    const dir = join(root, entry.name);
    try {
      if (now.getTime() - statSync(dir).mtimeMs < maxAgeMs) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      /* another process may be removing it too */
    }
  }
  return removed;
}

function writeFileDurable(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, "wx", 0o644);
  try {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let offset = 0;
    while (offset < buf.length) offset += writeSync(fd, buf, offset, buf.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The `version` of the package.json at `url`, "unknown" when it cannot be read. */
export function packageVersionAt(url: URL): string {
  try {
    const pkg = JSON.parse(readFileSync(url, "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

let cachedCodePackage: CodePackage | undefined;

function ownCodePackage(): CodePackage {
  // One level up from both src/ and dist/.
  cachedCodePackage ??= { name: "@mlq/registry", version: packageVersionAt(new URL("../package.json", import.meta.url)) };
  return cachedCodePackage;
}
