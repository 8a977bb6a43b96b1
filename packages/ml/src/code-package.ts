// Which code trained a model set: recorded as the manifest's code_version.package / package_version.
import { packageVersionAt, type CodePackage } from "@mlq/registry";

/** @mlq/ml's name and package.json version (one level up from both src/ and dist/). */
export const ML_CODE_PACKAGE: CodePackage = { name: "@mlq/ml", version: packageVersionAt(new URL("../package.json", import.meta.url)) };
