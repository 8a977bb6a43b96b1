// The hyperparameter candidates of a retrain: every combination of the configured value lists (grid),
// or seeded draws within each list's [min, max] (random). An unset list is the fixed MLQ_XGB_* value.
import { ConfigError, createRng } from "@mlq/core";
import type { BoosterParams } from "../train/xgboost-binding.js";

export interface CandidateParams {
  rounds: number;
  maxDepth: number;
  eta: number;
  subsample: number;
  /** Absent: XGBoost's default (1), and the booster's parameter list exactly as before the search existed. */
  minChildWeight?: number;
}

export interface SearchSpace {
  mode: "grid" | "random";
  /** random: how many to draw; grid: the most combinations allowed. */
  candidates: number;
  seed: number;
  rounds?: readonly number[];
  maxDepth?: readonly number[];
  eta?: readonly number[];
  minChildWeight?: readonly number[];
  subsample?: readonly number[];
}

export interface FixedParams {
  rounds: number;
  maxDepth: number;
  eta: number;
  subsample: number;
}

const SEARCH_STREAM = "hyperparameter-search";

/** The candidates in a fixed order (grid: rounds varies slowest, subsample fastest); duplicates removed. */
export function searchCandidates(space: SearchSpace, fixed: FixedParams): CandidateParams[] {
  const lists = {
    rounds: space.rounds?.length ? space.rounds : [fixed.rounds],
    maxDepth: space.maxDepth?.length ? space.maxDepth : [fixed.maxDepth],
    eta: space.eta?.length ? space.eta : [fixed.eta],
    minChildWeight: space.minChildWeight?.length ? space.minChildWeight : [undefined],
    subsample: space.subsample?.length ? space.subsample : [fixed.subsample],
  };
  if (!Number.isInteger(space.candidates) || space.candidates < 1)
    throw new ConfigError(`search: candidates must be an integer ≥ 1, got ${space.candidates}`);
  const out: CandidateParams[] = [];
  const seen = new Set<string>();
  const add = (c: CandidateParams): void => {
    const key = JSON.stringify(c);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(c);
  };
  if (space.mode === "grid") {
    const size = lists.rounds.length * lists.maxDepth.length * lists.eta.length * lists.minChildWeight.length * lists.subsample.length;
    if (size > space.candidates)
      throw new ConfigError(`search: the grid has ${size} combinations, more than MLQ_SEARCH_CANDIDATES=${space.candidates}`);
    for (const rounds of lists.rounds)
      for (const maxDepth of lists.maxDepth)
        for (const eta of lists.eta)
          for (const minChildWeight of lists.minChildWeight)
            for (const subsample of lists.subsample) add(candidate(rounds, maxDepth, eta, subsample, minChildWeight));
    return out;
  }
  const rng = createRng(space.seed, SEARCH_STREAM);
  const intIn = (xs: readonly number[]): number => {
    const lo = Math.min(...xs);
    return lo + rng.int(Math.max(...xs) - lo + 1);
  };
  const uniform = (xs: readonly number[]): number => round4(Math.min(...xs) + rng.next() * (Math.max(...xs) - Math.min(...xs)));
  // Learning rates span orders of magnitude: drawn log-uniformly.
  const logUniform = (xs: readonly number[]): number => {
    const lo = Math.log(Math.min(...xs));
    return round4(Math.exp(lo + rng.next() * (Math.log(Math.max(...xs)) - lo)));
  };
  // Draws until `candidates` distinct ones exist, or the (small, discrete) space runs out.
  for (let draws = 0; out.length < space.candidates && draws < space.candidates * 50; draws++) {
    const mcw = lists.minChildWeight[0] === undefined ? undefined : uniform(lists.minChildWeight as number[]);
    add(candidate(intIn(lists.rounds), intIn(lists.maxDepth), logUniform(lists.eta), uniform(lists.subsample), mcw));
  }
  return out;
}

/** A candidate as booster parameters (hist, the retrain's fixed seed). */
export function boosterParams(c: CandidateParams, seed: number): BoosterParams {
  return {
    rounds: c.rounds,
    maxDepth: c.maxDepth,
    eta: c.eta,
    subsample: c.subsample,
    ...(c.minChildWeight !== undefined && { minChildWeight: c.minChildWeight }),
    treeMethod: "hist",
    seed,
  };
}

function candidate(rounds: number, maxDepth: number, eta: number, subsample: number, minChildWeight: number | undefined): CandidateParams {
  return { rounds, maxDepth, eta, subsample, ...(minChildWeight !== undefined && { minChildWeight }) };
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
