import { describe, expect, it } from "vitest";
import { ConfigError, InputDataError } from "@mlq/core";
import { loadConfig, WASM_TRAINER_MAX_ROWS } from "@mlq/config";
import { checkRowCap, selectNewest, WASM_TRAINER_MAX_VALUES } from "./row-cap.js";

describe("selectNewest", () => {
  const indices = Int32Array.from([0, 1, 2, 5, 8, 9]);
  it.each([
    [3, [5, 8, 9]],
    [6, [0, 1, 2, 5, 8, 9]],
    [100, [0, 1, 2, 5, 8, 9]],
  ])("cap %i keeps the newest rows, oldest first", (cap, expected) => {
    expect(Array.from(selectNewest(indices, cap))).toEqual(expected);
  });

  it("rejects a non-positive cap", () => {
    expect(() => selectNewest(indices, 0)).toThrow(ConfigError);
  });
});

describe("checkRowCap", () => {
  it("passes at the cap and throws a one-line InputDataError above it", () => {
    expect(() => checkRowCap(300_000, 11, 300_000)).not.toThrow();
    expect(() => checkRowCap(300_001, 11, 300_000)).toThrow(InputDataError);
    expect(() => checkRowCap(300_001, 11, 300_000)).toThrow(/training set has 300001 rows, above the WebAssembly trainer's cap of 300000/);
  });

  it("passes at the measured ceiling: 1M rows x 11 features", () => {
    expect(WASM_TRAINER_MAX_VALUES).toBe(11_000_000);
    expect(() => checkRowCap(1_000_000, 11, 1_000_000)).not.toThrow();
  });

  it("fires after selectNewest when the cap did not come through loadConfig's bound", () => {
    const cap = 1_500_000;
    const train = selectNewest(new Int32Array(1_200_000).map((_, i) => i), cap);
    expect(train.length).toBe(1_200_000);
    expect(() => checkRowCap(train.length, 11, cap)).toThrow(InputDataError);
    expect(() => checkRowCap(train.length, 11, cap)).toThrow(
      /^training matrix of 1200000 rows x 11 features \(13200000 values\) is above the WebAssembly trainer's measured ceiling of 11000000 values .*; set MLQ_MAX_TRAINING_ROWS to at most 1000000$/,
    );
  });

  it("fires within a valid cap when there are more features than the ceiling was measured with", () => {
    expect(() => checkRowCap(600_000, 20, 1_000_000)).toThrow(/600000 rows x 20 features \(12000000 values\).*at most 550000$/);
    expect(() => checkRowCap(550_000, 20, 1_000_000)).not.toThrow();
  });

  it("the config bound keeps a loaded config's cap at or below the ceiling", () => {
    const { retrain } = loadConfig({ MLQ_MAX_TRAINING_ROWS: String(WASM_TRAINER_MAX_ROWS) });
    expect(() => checkRowCap(retrain.maxTrainingRows, 11, retrain.maxTrainingRows)).not.toThrow();
    expect(() => loadConfig({ MLQ_MAX_TRAINING_ROWS: String(WASM_TRAINER_MAX_ROWS + 1) })).toThrow(/MLQ_MAX_TRAINING_ROWS/);
  });
});
