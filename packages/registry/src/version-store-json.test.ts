// saveModelSet writes each XGBoost booster a second time in XGBoost's JSON model format, inside
// the same temp-dir-then-rename version; verifyVersion / loadModelSet prove those files too, and
// versions written before (no JSON) still load.
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputDataError, ModelIntegrityError, sha256 } from "@mlq/core";
import { loadModelSet, saveModelSet, verifyVersion, type ModelFile } from "./index.js";
import { FIVE_NAMES, fakeModels, manifestInput } from "./registry.test-util.js";
import { formatXgboostJson, legacyXgboostToJson, predictXgboostJson, type XgboostJsonModel } from "./xgboost-json.js";
import { buildLegacyModel } from "./xgboost-legacy.test-util.js";

const FEATURES = manifestInput.featureNames; // 11 names

/** Five tiny legacy binaries (one split on feature k each), shaped like what ml-xgboost writes. */
function legacyModels(): ModelFile[] {
  return FIVE_NAMES.map((name, k) => {
    const objective = name === "direction" ? "binary:logistic" : "reg:linear";
    const bytes = buildLegacyModel({
      baseScore: objective === "binary:logistic" ? 0 : 0.5,
      numFeature: FEATURES.length,
      objective,
      trees: [[{ feature: k, threshold: 0.25 * k, left: 1, right: 2 }, { leaf: -0.1 * (k + 1) }, { leaf: 0.2 * (k + 1) }]],
    });
    return { name, objective: name === "direction" ? "binary:logistic" : "reg:squarederror", bytes };
  });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-registry-json-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("saveModelSet with XGBoost models", () => {
  it("writes <name>.json beside each <name>.xgb and records its sha256 and size in the manifest", () => {
    const models = legacyModels();
    const saved = saveModelSet(dir, 7, { models, manifest: manifestInput });
    expect(readdirSync(saved.versionDir).sort()).toEqual([...FIVE_NAMES.flatMap((n) => [`${n}.json`, `${n}.xgb`]), "manifest.json"].sort());
    expect(readdirSync(dir)).toEqual(["7"]); // no temp dir left
    const manifest = JSON.parse(readFileSync(join(saved.versionDir, "manifest.json"), "utf8"));
    for (const model of models) {
      const text = readFileSync(join(saved.versionDir, `${model.name}.json`));
      expect(manifest.models[model.name]).toEqual({
        file: `${model.name}.xgb`,
        sha256: sha256(model.bytes),
        bytes: model.bytes.length,
        objective: model.objective,
        json: { file: `${model.name}.json`, sha256: sha256(text), bytes: text.length },
      });
      expect(text.toString("utf8")).toBe(formatXgboostJson(legacyXgboostToJson(model.bytes, { featureNames: FEATURES })));
    }
    expect(saved.manifest.models.direction?.json?.file).toBe("direction.json");
  });

  it("writes JSON models that carry the feature names and score like the binary they came from", () => {
    const saved = saveModelSet(dir, 8, { models: legacyModels(), manifest: manifestInput });
    const risk = JSON.parse(readFileSync(join(saved.versionDir, "risk.json"), "utf8")) as XgboostJsonModel;
    expect(risk.learner.feature_names).toEqual(FEATURES);
    expect(risk.learner.objective.name).toBe("reg:squarederror"); // XGBoost 0.7's reg:linear under its 1.0 name
    const row = FEATURES.map(() => 0.1); // feature 1 = 0.1 < 0.25: left leaf -0.2
    expect(predictXgboostJson(risk, row, 1, FEATURES.length)[0]).toBe(Math.fround(0.5 + Math.fround(-0.2)));
  });

  it("verifies the JSON files: a changed, truncated or missing one fails verifyVersion and loadModelSet", () => {
    const saved = saveModelSet(dir, 9, { models: legacyModels(), manifest: manifestInput });
    const path = join(saved.versionDir, "price.json");
    const original = readFileSync(path);
    expect(() => verifyVersion(dir, "9")).not.toThrow();

    writeFileSync(path, Buffer.from(original.toString("utf8").replace('"base_score":"0.5"', '"base_score":"0.6"')));
    expect(() => verifyVersion(dir, "9")).toThrow(`model file ${path} fails its sha256 check`);
    truncateSync(path, 100);
    expect(() => loadModelSet(dir, "9")).toThrow(`model file ${path} has 100 bytes, manifest says ${original.length} (truncated?)`);
    unlinkSync(path);
    expect(() => verifyVersion(dir, "9")).toThrow(`model price (XGBoost JSON): file ${path} is missing`);
    writeFileSync(path, original);
    expect(loadModelSet(dir, "9").models.map((m) => m.name)).toEqual(FIVE_NAMES);
  });

  it("still loads and verifies versions without JSON models (written before them, or bytes that are no XGBoost binary)", () => {
    const saved = saveModelSet(dir, 10, { models: fakeModels(3), manifest: manifestInput });
    expect(readdirSync(saved.versionDir).filter((f) => f.endsWith(".json"))).toEqual(["manifest.json"]);
    expect(saved.manifest.models.direction).not.toHaveProperty("json");
    expect(verifyVersion(dir, "10").manifest.models.risk).not.toHaveProperty("json");
    expect(loadModelSet(dir, "10").models).toHaveLength(5);
  });

  it("refuses a set whose XGBoost binary is corrupt, naming the model, and leaves no version or temp dir", () => {
    const models = legacyModels();
    models[2] = { ...models[2]!, bytes: models[2]!.bytes.subarray(0, models[2]!.bytes.length - 30) };
    expect(() => saveModelSet(dir, 11, { models, manifest: manifestInput })).toThrow(ModelIntegrityError);
    expect(() => saveModelSet(dir, 11, { models, manifest: manifestInput })).toThrow(
      /^model price of set 11 cannot be converted to XGBoost JSON: XGBoost model is truncated or corrupt: tree 0 of 1 claims 3 nodes \(108 bytes\) at byte 476, 82 left$/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses feature names that do not match the models' feature count (InputDataError)", () => {
    const manifest = { ...manifestInput, featureNames: FEATURES.slice(0, 10) };
    expect(() => saveModelSet(dir, 12, { models: legacyModels(), manifest })).toThrow(InputDataError);
    expect(() => saveModelSet(dir, 12, { models: legacyModels(), manifest })).toThrow(
      "model direction of set 12 cannot be converted to XGBoost JSON: XGBoost model has 11 features but 10 feature names were given",
    );
  });

  it("writes the caller's xgboostJson as given (converted off the event loop) instead of converting", () => {
    const models = fakeModels(4).map((m) => ({ ...m, xgboostJson: `{"mlq-test":"${m.name}"}` }));
    const saved = saveModelSet(dir, 14, { models, manifest: manifestInput });
    expect(readFileSync(join(saved.versionDir, "risk.json"), "utf8")).toBe('{"mlq-test":"risk"}');
    expect(saved.manifest.models.risk?.json).toEqual({ file: "risk.json", sha256: sha256('{"mlq-test":"risk"}'), bytes: 19 });
    expect(verifyVersion(dir, "14").manifest.models.volatility?.json?.file).toBe("volatility.json");
  });

  it("refuses a model named 'manifest', whose JSON would overwrite manifest.json", () => {
    const models = legacyModels().map((m, k) => (k === 0 ? { ...m, name: "manifest" } : m));
    expect(() => saveModelSet(dir, 13, { models, manifest: manifestInput })).toThrow(InputDataError);
    expect(readdirSync(dir)).toEqual([]);
  });
});
