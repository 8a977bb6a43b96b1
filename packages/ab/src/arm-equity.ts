// Equity curves of the two arms (running sum of pnl_pct), built on the decision's own split.
import type { Connection } from "@mlq/db";
import { cumulativeReturns } from "./arm-metrics.js";
import { loadArmSplit } from "./evaluate-arms.js";
import type { ArmSplit, SplitMethod } from "./split-arms.js";

export interface ArmEquityCurves {
  readonly method: SplitMethod;
  /** Temporal split boundary (last successful retrain); null with model_arm or before any retrain (all trades in A). */
  readonly boundaryTsMs: number | null;
  /** With the model_arm split: closed trades in neither arm (NULL or unknown model_arm). */
  readonly untagged: number;
  /** Cumulative pnl_pct (percentage points) after each of the arm's trades, in close order. */
  readonly a: number[];
  readonly b: number[];
}

/** Pure: the curves of a split. */
export function equityCurves(split: ArmSplit): ArmEquityCurves {
  return {
    method: split.method,
    boundaryTsMs: split.boundaryTsMs,
    untagged: split.untagged,
    a: cumulativeReturns(split.a.returns),
    b: cumulativeReturns(split.b.returns),
  };
}

/** Reads the closed trades and splits them the way `evaluateArms` does, then sums each arm. */
export function armEquityCurves(conn: Connection, signal?: AbortSignal): ArmEquityCurves {
  return equityCurves(loadArmSplit(conn, signal).split);
}
