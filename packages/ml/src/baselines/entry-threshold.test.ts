import { describe, expect, it } from "vitest";
import { entryThreshold, trainedThroughMs } from "./entry-threshold.js";

describe("entryThreshold", () => {
  it.each([
    // numpy: np.percentile([0.1, 0.2, …, 1.0], 80) = 0.82 (rank 0.8 · 9 = 7.2 between 0.8 and 0.9)
    ["ten probabilities, default quantile", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], 0.8, 0.82],
    // order does not matter; rank 0.5 · 4 = 2 → the middle value
    ["median of five, unsorted", [0.9, 0.1, 0.5, 0.3, 0.7], 0.5, 0.5],
    // rank 0.9 · 3 = 2.7 → 0.4 + 0.7 · (0.6 − 0.4)
    ["interpolates between ranks", [0.2, 0.3, 0.4, 0.6], 0.9, 0.54],
    ["a single probability", [0.37], 0.8, 0.37],
  ])("%s", (_name, probabilities, quantile, expected) => {
    const t = entryThreshold(probabilities, quantile);
    expect(t.threshold).toBeCloseTo(expected, 12);
    expect(t).toMatchObject({ quantile, rows: probabilities.length });
  });

  it("enters on about the top (1 − q) share of bars", () => {
    const p = Float64Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) / 1000);
    const { threshold } = entryThreshold(p, 0.8);
    expect(p.filter((x) => x >= threshold).length).toBe(200);
  });

  it("rejects an empty split, a quantile outside (0, 1) and a value that is not a probability", () => {
    expect(() => entryThreshold([], 0.8)).toThrow(/no test-split probabilities/);
    expect(() => entryThreshold([0.5], 1)).toThrow(/quantile 1 must be in \(0, 1\)/);
    expect(() => entryThreshold([0.5, Number.NaN], 0.8)).toThrow(/probability NaN at row 1/);
  });
});

describe("trainedThroughMs", () => {
  it("is the newest bar any test row reads: the latest label end, H bars past the last test bar", () => {
    const ts = [10, 20, 30, 40, 50];
    const labelEndTs = [25, 35, 45, 55, 65];
    expect(trainedThroughMs({ ts, labelEndTs }, Int32Array.from([2, 3]))).toBe(55);
    expect(trainedThroughMs({ ts, labelEndTs }, Int32Array.from([4]))).toBe(65);
    expect(() => trainedThroughMs({ ts, labelEndTs }, new Int32Array(0))).toThrow(/test split is empty/);
  });
});
