// The trading cost as of now: slippage_mult from the latest calibration run and the round-trip cost
// it gives (SPEC §5). The retrain's cost stage and the shadow evaluation read the same figure.
import { latestCalibrationRun } from "@mlq/calibration";
import type { Connection } from "@mlq/db";
import { roundTripCost, slippageMult, type SlippageMult } from "../dataset/cost.js";

export interface CostSettings {
  readonly feePctRoundTrip: number;
  readonly baseSlippagePerSidePct: number;
  readonly slippageMultMin: number;
  readonly slippageMultMax: number;
  readonly slippageMultMinTrades: number;
}

export interface CurrentCost {
  readonly slippage: SlippageMult;
  /** Round-trip cost as a fraction of notional. */
  readonly roundTrip: number;
}

export function currentCost(conn: Connection, costs: CostSettings): CurrentCost {
  const slippage = slippageMult({
    latestCalibration: latestCalibrationRun(conn),
    basePerSidePct: costs.baseSlippagePerSidePct,
    min: costs.slippageMultMin,
    max: costs.slippageMultMax,
    minTrades: costs.slippageMultMinTrades,
  });
  return {
    slippage,
    roundTrip: roundTripCost({
      feePctRoundTrip: costs.feePctRoundTrip,
      basePerSidePct: costs.baseSlippagePerSidePct,
      slippageMult: slippage.mult,
    }),
  };
}
