import { describe, expect, it } from "vitest";
import { ConfigError, InputDataError } from "@mlq/core";
import { checkRowCap, selectNewest } from "./row-cap.js";

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
    expect(() => checkRowCap(300_000, 300_000)).not.toThrow();
    expect(() => checkRowCap(300_001, 300_000)).toThrow(InputDataError);
    expect(() => checkRowCap(300_001, 300_000)).toThrow(/training set has 300001 rows, above the WebAssembly trainer's cap of 300000/);
  });
});
