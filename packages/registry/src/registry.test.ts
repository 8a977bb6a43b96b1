import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync, mkdirSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputDataError, ModelIntegrityError, OutputError, sha256 } from "@mlq/core";
import {
  checkModelsDirWritable,
  ensureV1Backtest,
  listVersions,
  loadModelSet,
  pointerPath,
  promoteV2Paper,
  readPointer,
  registryArmResolver,
  removeStaleTempDirs,
  saveModelSet,
  setPointer,
  verifyVersion,
} from "./index.js";
import { FIVE_NAMES, fakeModels, manifestInput } from "./registry.test-util.js";
import { asUnprivileged } from "./unprivileged.test-util.js";

let dir: string;
const fixedNow = () => new Date("2026-11-02T13:00:00.000Z");

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-registry-"));
});
afterEach(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

const save = (runId: string | number, seed = 1) =>
  saveModelSet(dir, runId, { models: fakeModels(seed), manifest: manifestInput }, { gitSha: "abc123", now: fixedNow });

describe("saveModelSet", () => {
  it("writes the five model files and a manifest with their sha256, then nothing temporary", () => {
    const saved = save(41);
    expect(saved.versionDir).toBe(join(dir, "41"));
    expect(readdirSync(saved.versionDir).sort()).toEqual([...FIVE_NAMES.map((n) => `${n}.xgb`), "manifest.json"].sort());
    expect(readdirSync(dir)).toEqual(["41"]);

    const text = readFileSync(join(saved.versionDir, "manifest.json"), "utf8");
    expect(sha256(text)).toBe(saved.manifestSha256);
    const manifest = JSON.parse(text);
    const direction = fakeModels(1)[0]!;
    expect(manifest.models.direction).toEqual({
      file: "direction.xgb",
      sha256: sha256(direction.bytes),
      bytes: direction.bytes.length,
      objective: "binary:logistic",
    });
    expect(manifest).toMatchObject({
      format: "mlq-model-set/1",
      version: "41",
      created_at: "2026-11-02T13:00:00.000Z",
      code_version: { package: "@mlq/registry", package_version: "0.1.0", git_sha: "abc123" },
      feature_names: manifestInput.featureNames,
      row_counts: { train: 700, test: 250 },
      slippage_mult: 1.8,
      embargo_hours: 24,
      data_window: manifestInput.dataWindow,
    });
    expect(manifest.metrics.price.r2).toBeNull();
  });

  it("writes further manifest keys through in snake_case without letting them replace the registry's fields", () => {
    const manifest = { ...manifestInput, runId: 9, labelNames: ["direction"], codeVersion: "1.4.0+deploy", version: "forged", models: {} };
    const saved = saveModelSet(dir, "x9", { models: fakeModels(1), manifest }, { gitSha: null, codePackage: { name: "@mlq/ml", version: "2.3.4" } });
    expect(saved.manifest).toMatchObject({ run_id: 9, label_names: ["direction"], version: "x9" });
    expect(saved.manifest.code_version).toEqual({ package: "@mlq/ml", package_version: "2.3.4", git_sha: null, label: "1.4.0+deploy" });
    expect(Object.keys(saved.manifest.models)).toEqual(FIVE_NAMES);
    expect(verifyVersion(dir, "x9").manifest).toEqual(saved.manifest);
  });

  it("refuses to overwrite an existing version", () => {
    save("run-1");
    expect(() => save("run-1", 2)).toThrow(OutputError);
    expect(() => save("run-1", 2)).toThrow(`model version ${join(dir, "run-1")} already exists; versions are immutable`);
    expect(loadModelSet(dir, "run-1").models[0]?.bytes).toEqual(fakeModels(1)[0]?.bytes);
  });

  it.each(["../escape", "pointers", ".hidden", "", "a/b"])("rejects the unsafe version id %j", (runId) => {
    expect(() => save(runId)).toThrow(InputDataError);
  });

  it("rejects duplicate model names", () => {
    const models = [...fakeModels(1), fakeModels(2)[0]!];
    expect(() => saveModelSet(dir, "dup", { models, manifest: manifestInput })).toThrow("model direction appears twice in set dup");
  });

  it("removes stale temp directories left by a crash but keeps fresh ones", () => {
    const stale = join(dir, ".tmp-7-dead");
    const fresh = join(dir, ".tmp-8-live");
    mkdirSync(stale);
    mkdirSync(fresh);
    const old = new Date(fixedNow().getTime() - 2 * 3600_000);
    utimesSync(stale, old, old);
    expect(removeStaleTempDirs(dir, 3600_000, fixedNow())).toEqual([stale]);
    expect(readdirSync(dir).sort()).toEqual([".tmp-8-live"]);
  });
});

describe("loadModelSet and verifyVersion", () => {
  it("round-trips every model's bytes and the manifest", () => {
    const saved = save("r1", 5);
    const loaded = loadModelSet(dir, "r1");
    expect(loaded.manifestSha256).toBe(saved.manifestSha256);
    expect(loaded.models.map((m) => m.name)).toEqual(FIVE_NAMES);
    expect(loaded.models.map((m) => Buffer.from(m.bytes).toString("hex"))).toEqual(
      fakeModels(5).map((m) => Buffer.from(m.bytes).toString("hex")),
    );
    expect(verifyVersion(dir, "r1").manifest).toEqual(saved.manifest);
  });

  it("rejects a truncated model file with ModelIntegrityError naming the file", () => {
    save("r1");
    const file = join(dir, "r1", "price.xgb");
    truncateSync(file, 10);
    expect(() => loadModelSet(dir, "r1")).toThrow(ModelIntegrityError);
    expect(() => loadModelSet(dir, "r1")).toThrow(`model file ${file} has 10 bytes, manifest says 66 (truncated?)`);
  });

  it("rejects a same-size corrupted model file by its sha256", () => {
    save("r1");
    const file = join(dir, "r1", "risk.xgb");
    const bytes = readFileSync(file);
    bytes[3] = (bytes[3] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    expect(() => verifyVersion(dir, "r1")).toThrow(`model file ${file} fails its sha256 check`);
  });

  it("rejects a missing model file and a missing version", () => {
    save("r1");
    rmSync(join(dir, "r1", "momentum.xgb"));
    expect(() => loadModelSet(dir, "r1")).toThrow(`model momentum: file ${join(dir, "r1", "momentum.xgb")} is missing`);
    expect(() => loadModelSet(dir, "nope")).toThrow(ModelIntegrityError);
  });

  it("rejects a tampered manifest: against the pointer's sha256, and when it no longer parses", () => {
    save("r1");
    const pointer = setPointer(dir, "v2_paper", "r1");
    const path = join(dir, "r1", "manifest.json");
    const manifest = JSON.parse(readFileSync(path, "utf8"));
    manifest.metrics.direction.auc = 0.99;
    writeFileSync(path, JSON.stringify(manifest, null, 2));
    expect(() => loadModelSet(dir, pointer)).toThrow(ModelIntegrityError);
    expect(() => loadModelSet(dir, pointer)).toThrow(`manifest ${path} was modified`);

    writeFileSync(path, '{"format": "mlq-model-set/1", "vers');
    expect(() => verifyVersion(dir, "r1")).toThrow(`manifest ${path} is not valid JSON (truncated or corrupt)`);
  });

  it("rejects a manifest whose file entry tries to leave the version directory", () => {
    save("r1");
    const path = join(dir, "r1", "manifest.json");
    const manifest = JSON.parse(readFileSync(path, "utf8"));
    manifest.models.price.file = "../r2/price.xgb";
    writeFileSync(path, JSON.stringify(manifest));
    expect(() => verifyVersion(dir, "r1")).toThrow("model price has an unsafe file name");
  });
});

describe("pointers", () => {
  it("promotion moves the old v2_paper to v2_paper_prev and is idempotent", () => {
    const a = save("a", 1);
    const b = save("b", 2);
    expect(readPointer(dir, "v2_paper")).toBeNull();

    const first = promoteV2Paper(dir, "a", { now: fixedNow });
    expect(first).toMatchObject({
      previous: null,
      changed: true,
      current: { version: "a", manifestSha256: a.manifestSha256, versionDir: join(dir, "a") },
    });
    expect(readPointer(dir, "v2_paper_prev")).toBeNull();

    promoteV2Paper(dir, "b", { now: fixedNow });
    expect(readPointer(dir, "v2_paper")).toEqual({
      version: "b",
      versionDir: join(dir, "b"),
      manifestSha256: b.manifestSha256,
      updatedAt: "2026-11-02T13:00:00.000Z",
    });
    expect(readPointer(dir, "v2_paper_prev")?.version).toBe("a");

    const again = promoteV2Paper(dir, "b");
    expect(again.changed).toBe(false);
    expect(readPointer(dir, "v2_paper_prev")?.version).toBe("a");
    expect(loadModelSet(dir, readPointer(dir, "v2_paper")!).version).toBe("b");
  });

  it("refuses to point at a corrupt version and leaves the pointer as it was", () => {
    save("a", 1);
    save("b", 2);
    promoteV2Paper(dir, "a");
    truncateSync(join(dir, "b", "direction.xgb"), 0);
    expect(() => promoteV2Paper(dir, "b")).toThrow(ModelIntegrityError);
    expect(readPointer(dir, "v2_paper")?.version).toBe("a");
    expect(readPointer(dir, "v2_paper_prev")).toBeNull();
  });

  it("ensureV1Backtest sets the baseline once, on a models dir that has none", () => {
    save("first", 1);
    save("second", 2);
    expect(ensureV1Backtest(dir, "first")).toBe(true);
    expect(ensureV1Backtest(dir, "second")).toBe(false);
    expect(readPointer(dir, "v1_backtest")?.version).toBe("first");
  });

  it("reports an unparsable pointer file as ModelIntegrityError naming it", () => {
    save("a");
    setPointer(dir, "v1_backtest", "a");
    writeFileSync(pointerPath(dir, "v1_backtest"), "{");
    expect(() => readPointer(dir, "v1_backtest")).toThrow(`pointer ${pointerPath(dir, "v1_backtest")} is not valid JSON`);
  });
});

describe("registryArmResolver", () => {
  it("resolves each arm to the version its pointer names, after verifying it", () => {
    const a = save("a", 1);
    const b = save("b", 2);
    setPointer(dir, "v1_backtest", "a");
    promoteV2Paper(dir, "b");
    const resolve = registryArmResolver(dir);
    expect(resolve("v1_backtest")).toEqual({ version: "a", versionDir: join(dir, "a"), manifestSha256: a.manifestSha256 });
    expect(resolve("v2_paper")).toEqual({ version: "b", versionDir: join(dir, "b"), manifestSha256: b.manifestSha256 });

    truncateSync(join(dir, "b", "risk.xgb"), 3);
    expect(() => resolve("v2_paper")).toThrow(`model file ${join(dir, "b", "risk.xgb")} has 3 bytes`);
  });

  it("names the missing pointer and the models dir", () => {
    expect(() => registryArmResolver(dir)("v2_paper")).toThrow(ModelIntegrityError);
    expect(() => registryArmResolver(dir)("v2_paper")).toThrow(`no v2_paper model pointer in ${dir} (run a retrain first)`);
  });
});

describe("listVersions", () => {
  it("lists complete versions oldest first and skips temp and pointer directories", () => {
    saveModelSet(dir, "late", { models: fakeModels(1), manifest: manifestInput }, { now: () => new Date("2026-11-03T00:00:00Z") });
    saveModelSet(dir, "early", { models: fakeModels(2), manifest: manifestInput }, { now: () => new Date("2026-11-01T00:00:00Z") });
    promoteV2Paper(dir, "late");
    mkdirSync(join(dir, ".tmp-x-1234"));
    mkdirSync(join(dir, "empty"));
    expect(listVersions(dir).map((v) => [v.version, v.createdAt])).toEqual([
      ["early", "2026-11-01T00:00:00.000Z"],
      ["late", "2026-11-03T00:00:00.000Z"],
    ]);
  });
});

describe("checkModelsDirWritable", () => {
  it("creates the models and pointers directories and leaves no probe behind", () => {
    const models = join(dir, "models");
    checkModelsDirWritable(models);
    expect(readdirSync(models)).toEqual(["pointers"]);
    expect(readdirSync(join(models, "pointers"))).toEqual([]);
  });

  it("throws OutputError naming a read-only directory (checked as an unprivileged user when run as root)", () => {
    chmodSync(dir, 0o555);
    asUnprivileged(() => {
      expect(() => checkModelsDirWritable(dir)).toThrow(OutputError);
      expect(() => checkModelsDirWritable(dir)).toThrow(`models directory ${dir} is not writable: EACCES`);
    });
    expect(readdirSync(dir)).toEqual([]); // no probe left behind
  });

  it("throws OutputError when the models path is a file", () => {
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "x");
    expect(() => checkModelsDirWritable(file)).toThrow(OutputError);
    expect(() => checkModelsDirWritable(file)).toThrow(`models directory ${file} is not writable: EEXIST`);
  });
});
