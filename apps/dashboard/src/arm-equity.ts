// Cumulative return of arm A (v1_backtest) vs arm B (v2_paper) over trade count, split the
// way the A/B evaluation does: by `model_arm` when trades carry it, else temporally at the
// last successful retrain (closed before -> A, after -> B).

export const ARM_A = "v1_backtest";
export const ARM_B = "v2_paper";

export interface ClosedTrade {
  closedTsMs: number;
  pnlPct: number;
  modelArm: string | null;
}

export interface ArmEquity {
  method: "model_arm" | "temporal" | "none";
  /** Cumulative sum of pnl_pct (percentage points) after each trade of the arm. */
  armA: number[];
  armB: number[];
  boundaryTsMs: number | null;
}

export function cumulativeSum(xs: readonly number[]): number[] {
  const out: number[] = [];
  let acc = 0;
  for (const x of xs) out.push((acc += x));
  return out;
}

/** Trades must be in close order; trades with a non-finite pnl_pct are skipped. */
export function armEquity(trades: readonly ClosedTrade[], lastRetrainTsMs: number | null): ArmEquity {
  const usable = trades.filter((t) => Number.isFinite(t.pnlPct));
  if (usable.some((t) => t.modelArm)) {
    return {
      method: "model_arm",
      armA: cumulativeSum(usable.filter((t) => t.modelArm === ARM_A).map((t) => t.pnlPct)),
      armB: cumulativeSum(usable.filter((t) => t.modelArm === ARM_B).map((t) => t.pnlPct)),
      boundaryTsMs: null,
    };
  }
  if (lastRetrainTsMs === null) return { method: "none", armA: cumulativeSum(usable.map((t) => t.pnlPct)), armB: [], boundaryTsMs: null };
  return {
    method: "temporal",
    armA: cumulativeSum(usable.filter((t) => t.closedTsMs < lastRetrainTsMs).map((t) => t.pnlPct)),
    armB: cumulativeSum(usable.filter((t) => t.closedTsMs >= lastRetrainTsMs).map((t) => t.pnlPct)),
    boundaryTsMs: lastRetrainTsMs,
  };
}
