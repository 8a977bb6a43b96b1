// The XGBoost JSON model @mlq/registry writes beside each booster predicts what mlq predicts: five
// boosters trained by ml-xgboost with the retrain's objectives, converted, written as JSON text,
// parsed back and scored by the reference evaluator, against mlq's own predict() on the same rows.
// (The same check through Python's xgboost runs in test/interop when it is installed.)
import { describe, expect, it } from "vitest";
import { formatXgboostJson, legacyXgboostToJson, predictXgboostJson, type XgboostJsonModel } from "@mlq/registry";
import { predict, trainBooster } from "./booster.js";
import { MODEL_NAMES, MODEL_OBJECTIVES } from "./model-set.js";
import { syntheticDataset } from "./synthetic.test-util.js";

const FEATURES = ["ret_1", "ret_5", "ret_15", "ret_60", "rv_20", "vol_ratio", "rsi_14", "macd_hist", "bb_pct_b", "atr_14", "range_pos"];
const data = syntheticDataset(3000, 11, FEATURES.length);
const GRID = [0, 1, 2, 3, 4];
// The signal columns 0-4 on a 0.25 grid: values equal to split thresholds, and exact -1.0, which ml-xgboost reads as missing.
for (let i = 0; i < data.rows; i++) for (const c of GRID) data.X[i * data.cols + c] = Math.round(data.X[i * data.cols + c]! * 4) / 4;
const trainRows = 2000;
const Xtest = data.X.subarray(trainRows * data.cols);
const testRows = data.rows - trainRows;
const hasMinusOne = (row: number) => GRID.some((c) => Xtest[row * data.cols + c] === -1);

describe("XGBoost JSON of ml-xgboost's boosters", () => {
  it.each(MODEL_NAMES.map((name) => [name, MODEL_OBJECTIVES[name]] as const))(
    "%s (%s): the JSON scores every test row as mlq does",
    async (name, objective) => {
      const bytes = await trainBooster({
        X: data.X.subarray(0, trainRows * data.cols),
        rows: trainRows,
        cols: data.cols,
        y: data.labels[name].subarray(0, trainRows),
        objective,
        params: { rounds: 40, maxDepth: 4, eta: 0.3, subsample: 0.8, treeMethod: "hist", seed: 3 },
      });
      const json = JSON.parse(formatXgboostJson(legacyXgboostToJson(bytes, { featureNames: FEATURES }))) as XgboostJsonModel;
      expect(json.learner.objective.name).toBe(objective);
      expect(json.learner.gradient_booster.model.trees).toHaveLength(40);

      const mlq = await predict(bytes, Xtest, testRows, data.cols);
      const fromJson = predictXgboostJson(json, Xtest, testRows, data.cols, { missing: -1 });
      let maxDiff = 0;
      for (let i = 0; i < testRows; i++) maxDiff = Math.max(maxDiff, Math.abs(fromJson[i]! - mlq[i]!));
      // Tree sums are bit-identical; the logistic transform may differ in the last float32 bit (exp vs expf).
      expect(maxDiff).toBeLessThanOrEqual(objective === "binary:logistic" ? 1.2e-7 : 0);

      // -1.0 really is "missing" to mlq: scored as a number instead, some of those rows change.
      const asNumbers = predictXgboostJson(json, Xtest, testRows, data.cols);
      const rowsWithMinusOne = Array.from({ length: testRows }, (_, i) => i).filter(hasMinusOne);
      expect(rowsWithMinusOne.length).toBeGreaterThan(100);
      for (let i = 0; i < testRows; i++) if (!hasMinusOne(i)) expect(asNumbers[i]).toBe(fromJson[i]);
      expect(rowsWithMinusOne.some((i) => Math.abs(asNumbers[i]! - mlq[i]!) > 1e-6)).toBe(true);
    },
  );
});
