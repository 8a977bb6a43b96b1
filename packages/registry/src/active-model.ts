// Which model the bot trades: the `ab_active_model` row (source of truth; this package owns
// the table) and its mirror `<modelsDir>/active_model.json`, which the bot reads. A swap
// commits the row first (`writeActiveState`, inside the caller's transaction) and writes the
// file second (`writeActiveModel`); `reconcileActiveModelFile` repairs the file after a crash
// between.
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ensureDir, errorMessage, ModelIntegrityError, writeFileAtomic, type Logger } from "@mlq/core";
import { abActiveModel, type Connection } from "@mlq/db";
import { ARM_A, ARM_B, isArmLabel, type ArmLabel } from "./pointers.js";

export const ACTIVE_MODEL_FILE = "active_model.json";

/** The `ab_active_model` row (id = 1). */
export interface ActiveModelState {
  readonly activeArm: ArmLabel;
  readonly versionDir: string | null;
  readonly manifestSha256: string | null;
  readonly swappedAt: string | null;
  readonly swapRunId: number | null;
  readonly previousArm: ArmLabel | null;
  readonly previousVersionDir: string | null;
  readonly previousManifestSha256: string | null;
}

/** Contents of active_model.json (written with snake_case keys for the bot). */
export interface ActiveModelFile {
  readonly arm: ArmLabel;
  readonly version: string | null;
  readonly versionDir: string | null;
  readonly manifestSha256: string | null;
  readonly swappedAt: string | null;
  readonly runId: number | null;
}

export function activeModelPath(modelsDir: string): string {
  return join(modelsDir, ACTIVE_MODEL_FILE);
}

/** The row, or null before the first swap (then the active arm is v1_backtest). */
export function readActiveState(conn: Connection): ActiveModelState | null {
  const row = conn.sqlite
    .prepare(
      `SELECT active_arm, version_dir, manifest_sha256, swapped_at, swap_run_id, previous_arm, previous_version_dir, previous_manifest_sha256
       FROM ab_active_model WHERE id = 1`,
    )
    .get() as Record<string, unknown> | undefined;
  if (!row) return null;
  const arm = row["active_arm"];
  if (!isArmLabel(arm))
    throw new ModelIntegrityError(`ab_active_model.active_arm is ${JSON.stringify(arm)} in ${conn.path}, expected ${ARM_A} or ${ARM_B}`, { context: { path: conn.path } });
  const prev = row["previous_arm"];
  return {
    activeArm: arm,
    versionDir: textOrNull(row["version_dir"]),
    manifestSha256: textOrNull(row["manifest_sha256"]),
    swappedAt: textOrNull(row["swapped_at"]),
    swapRunId: typeof row["swap_run_id"] === "number" ? row["swap_run_id"] : null,
    previousArm: isArmLabel(prev) ? prev : null,
    previousVersionDir: textOrNull(row["previous_version_dir"]),
    previousManifestSha256: textOrNull(row["previous_manifest_sha256"]),
  };
}

/** Reads active_model.json: null when absent, ModelIntegrityError when unreadable or malformed. */
export function readActiveModel(modelsDir: string): ActiveModelFile | null {
  const path = activeModelPath(modelsDir);
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ModelIntegrityError(`active model pointer is not valid JSON: ${path} (${errorMessage(err)})`, { cause: err, context: { path } });
  }
  const o = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  if (!isArmLabel(o["arm"])) throw new ModelIntegrityError(`active model pointer has no valid "arm": ${path}`, { context: { path } });
  return {
    arm: o["arm"],
    version: textOrNull(o["version"]),
    versionDir: textOrNull(o["version_dir"]),
    manifestSha256: textOrNull(o["manifest_sha256"]),
    swappedAt: textOrNull(o["swapped_at"]),
    runId: typeof o["run_id"] === "number" ? o["run_id"] : null,
  };
}

/** Upserts the row (id = 1). Call inside the transaction that records why the model changed. */
export function writeActiveState(conn: Connection, state: ActiveModelState): void {
  const row = {
    activeArm: state.activeArm,
    versionDir: state.versionDir,
    manifestSha256: state.manifestSha256,
    swappedAt: state.swappedAt,
    swapRunId: state.swapRunId,
    previousArm: state.previousArm,
    previousVersionDir: state.previousVersionDir,
    previousManifestSha256: state.previousManifestSha256,
  };
  conn.db.insert(abActiveModel).values({ ...row, id: 1 }).onConflictDoUpdate({ target: abActiveModel.id, set: row }).run();
}

/** What active_model.json should say for a row. */
export function activeFileFromState(state: ActiveModelState): ActiveModelFile {
  return {
    arm: state.activeArm,
    version: state.versionDir === null ? null : basename(state.versionDir),
    versionDir: state.versionDir,
    manifestSha256: state.manifestSha256,
    swappedAt: state.swappedAt,
    runId: state.swapRunId,
  };
}

/** Writes active_model.json atomically (temp file, fsync, rename). */
export function writeActiveModel(modelsDir: string, file: ActiveModelFile): void {
  ensureDir(modelsDir);
  const body = {
    arm: file.arm,
    version: file.version,
    version_dir: file.versionDir,
    manifest_sha256: file.manifestSha256,
    swapped_at: file.swappedAt,
    run_id: file.runId,
  };
  writeFileAtomic(activeModelPath(modelsDir), `${JSON.stringify(body, null, 2)}\n`);
}

export type ReconcileOutcome = "in-sync" | "rewritten" | "no-db-state";

/**
 * Makes active_model.json agree with `ab_active_model`, the source of truth: rewrites the file
 * when it is missing, corrupt or different (logging why). Without a row nothing has been
 * swapped yet, and an existing file is left alone.
 */
export function reconcileActiveModelFile(conn: Connection, modelsDir: string, logger: Logger): ReconcileOutcome {
  const state = readActiveState(conn);
  if (state === null) return "no-db-state";
  const expected = activeFileFromState(state);
  let found: ActiveModelFile | null;
  let problem: string;
  try {
    found = readActiveModel(modelsDir);
    problem = found === null ? "missing" : "differs from ab_active_model";
  } catch (err) {
    found = null;
    problem = errorMessage(err);
  }
  if (found !== null && sameFile(found, expected)) return "in-sync";
  writeActiveModel(modelsDir, expected);
  logger.warn("active_model.json rewritten from ab_active_model", {
    path: activeModelPath(modelsDir),
    problem,
    arm: expected.arm,
    versionDir: expected.versionDir,
    runId: expected.runId,
    fileArm: found?.arm ?? null,
    fileRunId: found?.runId ?? null,
  });
  return "rewritten";
}

function sameFile(x: ActiveModelFile, y: ActiveModelFile): boolean {
  return (
    x.arm === y.arm &&
    x.version === y.version &&
    x.versionDir === y.versionDir &&
    x.manifestSha256 === y.manifestSha256 &&
    x.swappedAt === y.swappedAt &&
    x.runId === y.runId
  );
}

function textOrNull(x: unknown): string | null {
  return typeof x === "string" ? x : null;
}
