import { describe, expect, it } from "vitest";
import { ConfigError } from "@mlq/core";
import { boosterParams, searchCandidates, type SearchSpace } from "./search-space.js";

const FIXED = { rounds: 100, maxDepth: 4, eta: 0.1, subsample: 1 };
const grid = (over: Partial<SearchSpace> = {}): SearchSpace => ({ mode: "grid", candidates: 20, seed: 42, ...over });

describe("searchCandidates", () => {
  it("an empty space is the one fixed configuration, without min_child_weight (today's booster parameters)", () => {
    expect(searchCandidates(grid(), FIXED)).toEqual([{ rounds: 100, maxDepth: 4, eta: 0.1, subsample: 1 }]);
    expect(boosterParams(searchCandidates(grid(), FIXED)[0]!, 42)).toEqual({
      rounds: 100,
      maxDepth: 4,
      eta: 0.1,
      subsample: 1,
      treeMethod: "hist",
      seed: 42,
    });
  });

  it("a grid is every combination, rounds slowest, subsample fastest; unset lists stay fixed", () => {
    const c = searchCandidates(grid({ rounds: [50, 200], maxDepth: [3, 6], minChildWeight: [1, 5] }), FIXED);
    expect(c).toHaveLength(8);
    expect(c[0]).toEqual({ rounds: 50, maxDepth: 3, eta: 0.1, subsample: 1, minChildWeight: 1 });
    expect(c[1]).toEqual({ rounds: 50, maxDepth: 3, eta: 0.1, subsample: 1, minChildWeight: 5 });
    expect(c[7]).toEqual({ rounds: 200, maxDepth: 6, eta: 0.1, subsample: 1, minChildWeight: 5 });
    expect(new Set(c.map((x) => JSON.stringify(x))).size).toBe(8);
  });

  it("refuses a grid larger than the candidate budget", () => {
    expect(() => searchCandidates(grid({ candidates: 3, maxDepth: [2, 3, 4, 5] }), FIXED)).toThrow(ConfigError);
  });

  it("random draws are seeded, distinct, inside each list's [min, max], integers where XGBoost wants integers", () => {
    const space: SearchSpace = {
      mode: "random",
      candidates: 12,
      seed: 7,
      rounds: [50, 300],
      maxDepth: [2, 8],
      eta: [0.01, 0.3],
      subsample: [0.5, 1],
    };
    const a = searchCandidates(space, FIXED);
    expect(a).toEqual(searchCandidates(space, FIXED));
    expect(a).not.toEqual(searchCandidates({ ...space, seed: 8 }, FIXED));
    expect(a).toHaveLength(12);
    expect(new Set(a.map((x) => JSON.stringify(x))).size).toBe(12);
    for (const c of a) {
      expect(Number.isInteger(c.rounds) && c.rounds >= 50 && c.rounds <= 300).toBe(true);
      expect(Number.isInteger(c.maxDepth) && c.maxDepth >= 2 && c.maxDepth <= 8).toBe(true);
      expect(c.eta).toBeGreaterThanOrEqual(0.01);
      expect(c.eta).toBeLessThanOrEqual(0.3);
      expect(c.subsample).toBeGreaterThanOrEqual(0.5);
      expect(c.minChildWeight).toBeUndefined();
    }
  });

  it("random search stops at the number of distinct points a small discrete space has", () => {
    expect(searchCandidates({ mode: "random", candidates: 10, seed: 1, maxDepth: [3, 4] }, FIXED)).toHaveLength(2);
  });
});
