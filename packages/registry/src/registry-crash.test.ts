// Fault test: a child process saving and promoting versions in a loop is SIGKILLed at
// random moments; afterwards every pointer must still name a complete, sha256-valid version.
// The child runs plain JS: beforeAll transpiles @mlq/core and this registry into a temp
// dir with TypeScript's transpileModule, so the test needs no prior build. The child imports
// version-store.js and pointers.js directly (active-model.js would need @mlq/db).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POINTER_NAMES, listVersions, loadModelSet, readPointer, verifyVersion } from "./index.js";

const registrySrc = fileURLToPath(new URL(".", import.meta.url));
const coreSrc = resolve(registrySrc, "../../core/src");
let buildDir: string;
let modelsDir: string;

function transpileDir(from: string, to: string, rewrite: (code: string) => string): void {
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from)) {
    if (!file.endsWith(".ts") || file.endsWith(".test.ts") || file.endsWith(".test-util.ts")) continue;
    const { outputText } = ts.transpileModule(readFileSync(join(from, file), "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      fileName: file,
    });
    writeFileSync(join(to, file.replace(/\.ts$/, ".js")), rewrite(outputText));
  }
}

const CHILD = `
import { randomBytes } from "node:crypto";
import { saveModelSet } from "./registry/version-store.js";
import { ensureV1Backtest, promoteV2Paper } from "./registry/pointers.js";
const [dir, prefix] = process.argv.slice(2);
const names = ["direction", "risk", "price", "momentum", "volatility"];
const manifest = { featureNames: ["f"], params: {}, dataWindow: {}, rowCounts: { train: 1 }, metrics: {}, slippageMult: 2, embargoHours: 24 };
process.stdout.write("started\\n");
for (let i = 0; ; i++) {
  const version = prefix + "-" + i;
  saveModelSet(dir, version, { models: names.map((name) => ({ name, bytes: randomBytes(8192 + 977 * (i % 5)) })), manifest });
  promoteV2Paper(dir, version);
  ensureV1Backtest(dir, version);
}
`;

beforeAll(() => {
  buildDir = mkdtempSync(join(tmpdir(), "mlq-registry-build-"));
  modelsDir = mkdtempSync(join(tmpdir(), "mlq-registry-crash-"));
  writeFileSync(join(buildDir, "package.json"), '{ "type": "module" }\n');
  transpileDir(coreSrc, join(buildDir, "core"), (code) => code);
  transpileDir(registrySrc, join(buildDir, "registry"), (code) => code.replaceAll('from "@mlq/core"', 'from "../core/index.js"'));
  writeFileSync(join(buildDir, "child.mjs"), CHILD);
});

afterAll(() => {
  rmSync(buildDir, { recursive: true, force: true });
  rmSync(modelsDir, { recursive: true, force: true });
});

/** Runs the child until `delayMs` after it started its loop, then SIGKILLs it. */
function runAndKill(prefix: string, delayMs: number): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [join(buildDir, "child.mjs"), modelsDir, prefix], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once("data", () => setTimeout(() => child.kill("SIGKILL"), delayMs));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolveRun();
      else reject(new Error(`child exited on its own (code ${code}): ${stderr}`));
    });
  });
}

function assertEveryPointerNamesACompleteVersion(): void {
  for (const name of POINTER_NAMES) {
    const pointer = readPointer(modelsDir, name);
    if (pointer) expect(loadModelSet(modelsDir, pointer).models).toHaveLength(5);
  }
  const paper = readPointer(modelsDir, "v2_paper");
  const prev = readPointer(modelsDir, "v2_paper_prev");
  if (prev) expect(paper).not.toBeNull();
  // The rename makes a version visible only once complete, so every listed one verifies.
  for (const { version } of listVersions(modelsDir)) verifyVersion(modelsDir, version);
}

describe("registry under SIGKILL", () => {
  it("leaves every pointer naming a complete, sha256-valid version whenever the writer dies", async () => {
    let run = 0;
    let firstV1: string | undefined;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 120 }), async (delayMs) => {
        await runAndKill(`k${run++}`, delayMs);
        assertEveryPointerNamesACompleteVersion();
        // Once established, v1_backtest is never moved by later saves or promotions.
        const v1 = readPointer(modelsDir, "v1_backtest")?.version;
        firstV1 ??= v1;
        expect(v1).toBe(firstV1);
      }),
      { numRuns: 12, seed: 20261102 },
    );
    const versions = listVersions(modelsDir);
    expect(versions.length).toBeGreaterThan(3);
    expect(readPointer(modelsDir, "v2_paper")).not.toBeNull();
    // Under load the first child may die before its first save completes, so v1 is the
    // first version that completed, whichever run wrote it.
    expect(readPointer(modelsDir, "v1_backtest")?.version).toBe(firstV1);
    expect(firstV1).toBeDefined();
  });
});
