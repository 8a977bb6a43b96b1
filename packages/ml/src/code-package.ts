// Which code trained a model set: recorded as the manifest's code_version.package / package_version.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { packageVersionAt, type CodePackage } from "@mlq/registry";
import { XGBOOST_GLUE_PATH } from "./train/booster.js";

/** @mlq/ml's name and package.json version (one level up from both src/ and dist/). */
export const ML_CODE_PACKAGE: CodePackage = { name: "@mlq/ml", version: packageVersionAt(new URL("../package.json", import.meta.url)) };

let buildHash: string | undefined;

/**
 * The build a search's child jobs must share with their parent (issue 18): sha256 over @mlq/ml's
 * built code (dist/, else src/), its version and ml-xgboost's WebAssembly. A worker-train of another
 * build refuses the job instead of training with different code. `override` (config `MLQ_BUILD_ID`)
 * replaces it: a deployment that stamps its own id on every host.
 */
export function mlBuildHash(override?: string): string {
  if (override) return override;
  if (buildHash) return buildHash;
  const h = createHash("sha256");
  h.update(`${ML_CODE_PACKAGE.name}@${ML_CODE_PACKAGE.version}\n`);
  const dist = fileURLToPath(new URL("../dist/", import.meta.url));
  const root = existsSync(dist) ? dist : fileURLToPath(new URL("../src/", import.meta.url));
  for (const file of listFiles(root)) {
    if (!/\.(js|ts|mjs|cjs)$/.test(file) || /\.(test|test-util)\.|\.d\.ts$|\.map$/.test(file)) continue;
    h.update(`${relative(root, file)}\n`);
    h.update(readFileSync(file));
  }
  const wasm = join(dirname(XGBOOST_GLUE_PATH), "xgboost.wasm");
  h.update(readFileSync(existsSync(wasm) ? wasm : XGBOOST_GLUE_PATH));
  buildHash = `ml-${h.digest("hex").slice(0, 16)}`;
  return buildHash;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}
