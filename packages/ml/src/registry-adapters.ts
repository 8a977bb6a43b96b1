// Small views of the registry and the audit tables that other workers need (A/B arm
// resolution, the slippage_mult the live models were trained with).
import { ModelIntegrityError } from "@mlq/core";
import type { Sqlite } from "@mlq/db";
import { readPointer, type PointerName } from "./registry/index.js";
import { verifyVersion } from "./registry/index.js";

export interface ArmModelRef {
  version: string;
  versionDir: string;
  manifestSha256: string;
}

/** Resolves an A/B arm to the version its pointer names, verifying every file's sha256. */
export function registryArmResolver(modelsDir: string): (arm: "v1_backtest" | "v2_paper") => ArmModelRef {
  return (arm) => {
    const pointer = readPointer(modelsDir, arm satisfies PointerName);
    if (!pointer) throw new ModelIntegrityError(`no ${arm} model pointer in ${modelsDir} (run a retrain first)`, { context: { modelsDir, arm } });
    verifyVersion(modelsDir, pointer.version, pointer.manifestSha256);
    return { version: pointer.version, versionDir: pointer.versionDir, manifestSha256: pointer.manifestSha256 };
  };
}

/** slippage_mult of the newest retrain that recorded one; `fallback` (the backtest 2.0) before any. */
export function currentSlippageMult(sqlite: Sqlite, fallback: number): number {
  const exists = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='phase2_retrain_runs'").get();
  if (!exists) return fallback;
  const row = sqlite
    .prepare("SELECT slippage_mult AS m FROM phase2_retrain_runs WHERE slippage_mult IS NOT NULL AND success = 1 ORDER BY id DESC LIMIT 1")
    .get() as { m: number } | undefined;
  return row && Number.isFinite(row.m) && row.m > 0 ? row.m : fallback;
}
