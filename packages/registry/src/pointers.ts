// Named pointers to model versions (`models/pointers/<name>.json`), each replaced by one
// atomic file write. A pointer is only ever set to a version verified complete, and
// promotion writes v2_paper_prev before v2_paper, so a crash between the two writes
// leaves both naming complete versions.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ModelIntegrityError, ensureDir, writeFileAtomic } from "@mlq/core";
import { POINTERS_DIR, verifyVersion } from "./version-store.js";

export const POINTER_NAMES = ["candidate", "v2_paper", "v2_paper_prev", "v1_backtest"] as const;
export type PointerName = (typeof POINTER_NAMES)[number];

/** Arm A of the A/B: the baseline pointer (a trade's `model_arm` and the active model name it). */
export const ARM_A = "v1_backtest" satisfies PointerName;
/** Arm B of the A/B: the paper (challenger) pointer. */
export const ARM_B = "v2_paper" satisfies PointerName;
export type ArmLabel = typeof ARM_A | typeof ARM_B;

export function isArmLabel(x: unknown): x is ArmLabel {
  return x === ARM_A || x === ARM_B;
}

/** A model version as an arm's pointer names it, verified complete. */
export interface ArmModel {
  readonly version: string;
  readonly versionDir: string;
  readonly manifestSha256: string;
}

/** Resolves an arm to its model; throws ModelIntegrityError / InputDataError when missing or corrupt. */
export type ResolveArmModel = (arm: ArmLabel) => ArmModel;

export interface Pointer {
  version: string;
  /** Absolute path of the version directory, for readers outside mlq. */
  versionDir: string;
  manifestSha256: string;
  updatedAt: string;
}

export interface PointerOptions {
  now?: () => Date;
}

export function pointerPath(modelsDir: string, name: PointerName): string {
  return join(resolve(modelsDir), POINTERS_DIR, `${name}.json`);
}

export function readPointer(modelsDir: string, name: PointerName): Pointer | null {
  const path = pointerPath(modelsDir, name);
  if (!existsSync(path)) return null;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ModelIntegrityError(`pointer ${path} is not valid JSON`, { cause: err, context: { path } });
  }
  const pointer = value as Partial<Pointer> | null;
  if (typeof pointer?.version !== "string" || typeof pointer.manifestSha256 !== "string") {
    throw new ModelIntegrityError(`pointer ${path} lacks version or manifestSha256`, { context: { path } });
  }
  return {
    version: pointer.version,
    versionDir: typeof pointer.versionDir === "string" ? pointer.versionDir : join(resolve(modelsDir), pointer.version),
    manifestSha256: pointer.manifestSha256,
    updatedAt: typeof pointer.updatedAt === "string" ? pointer.updatedAt : "",
  };
}

/** Points `name` at `version` after verifying every file of it. */
export function setPointer(modelsDir: string, name: PointerName, version: string, options: PointerOptions = {}): Pointer {
  const verified = verifyVersion(modelsDir, version);
  const pointer: Pointer = {
    version,
    versionDir: verified.versionDir,
    manifestSha256: verified.manifestSha256,
    updatedAt: (options.now?.() ?? new Date()).toISOString(),
  };
  writePointer(modelsDir, name, pointer);
  return pointer;
}

export interface Promotion {
  previous: Pointer | null;
  current: Pointer;
  changed: boolean;
}

/** Makes `version` the paper model; the one it replaces becomes v2_paper_prev. */
export function promoteV2Paper(modelsDir: string, version: string, options: PointerOptions = {}): Promotion {
  const verified = verifyVersion(modelsDir, version);
  const previous = readPointer(modelsDir, "v2_paper");
  if (previous?.version === version && previous.manifestSha256 === verified.manifestSha256) {
    return { previous: readPointer(modelsDir, "v2_paper_prev"), current: previous, changed: false };
  }
  const updatedAt = (options.now?.() ?? new Date()).toISOString();
  if (previous) writePointer(modelsDir, "v2_paper_prev", { ...previous, updatedAt });
  const current: Pointer = { version, versionDir: verified.versionDir, manifestSha256: verified.manifestSha256, updatedAt };
  writePointer(modelsDir, "v2_paper", current);
  return { previous, current, changed: true };
}

/** On a models dir without a v1_backtest baseline, makes `version` the baseline. True when set. */
export function ensureV1Backtest(modelsDir: string, version: string, options: PointerOptions = {}): boolean {
  if (readPointer(modelsDir, "v1_backtest")) return false;
  setPointer(modelsDir, "v1_backtest", version, options);
  return true;
}

/** Resolves an arm to the version its pointer names, verifying every file's sha256 first. */
export function registryArmResolver(modelsDir: string): ResolveArmModel {
  return (arm) => {
    const pointer = readPointer(modelsDir, arm);
    if (!pointer) throw new ModelIntegrityError(`no ${arm} model pointer in ${modelsDir} (run a retrain first)`, { context: { modelsDir, arm } });
    verifyVersion(modelsDir, pointer.version, pointer.manifestSha256);
    return { version: pointer.version, versionDir: pointer.versionDir, manifestSha256: pointer.manifestSha256 };
  };
}

function writePointer(modelsDir: string, name: PointerName, pointer: Pointer): void {
  ensureDir(join(resolve(modelsDir), POINTERS_DIR));
  writeFileAtomic(pointerPath(modelsDir, name), `${JSON.stringify(pointer, null, 2)}\n`);
}
