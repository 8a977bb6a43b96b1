// Equity curves of the two arms (running sum of pnl_pct), built on the decision's own attribution.
import type { Connection } from "@mlq/db";
import { cumulativeReturns } from "./arm-metrics.js";
import type { Attribution, AttributionMethod } from "./attribute-trades.js";
import { evaluateArms, type AbPolicy } from "./evaluate-arms.js";

export interface ArmEquityCurves {
  /** How trades were assigned (null while no challenger is under evaluation). */
  readonly method: AttributionMethod | null;
  readonly champion: string | null;
  readonly challenger: string | null;
  /** Cumulative pnl_pct (percentage points) after each of the arm's trades, in close order. */
  readonly a: number[];
  readonly b: number[];
  /** Close times of the arms' trades (ms), parallel to a and b. */
  readonly aCloseTsMs: number[];
  readonly bCloseTsMs: number[];
}

/** Pure: the curves of an attribution. */
export function equityCurves(attribution: Attribution | null, versions: { champion: string | null; challenger: string | null }): ArmEquityCurves {
  return {
    method: attribution?.method ?? null,
    ...versions,
    a: cumulativeReturns(attribution?.a.returns ?? []),
    b: cumulativeReturns(attribution?.b.returns ?? []),
    aCloseTsMs: attribution?.a.closeTsMs ?? [],
    bCloseTsMs: attribution?.b.closeTsMs ?? [],
  };
}

/** Reads the closed trades and attributes them the way `evaluateArms` does, then sums each arm. */
export function armEquityCurves(conn: Connection, policy: AbPolicy, options: { nowMs: number; signal?: AbortSignal }): ArmEquityCurves {
  const ev = evaluateArms(conn, policy, options);
  return equityCurves(ev.attribution, { champion: ev.champion, challenger: ev.challenger });
}
