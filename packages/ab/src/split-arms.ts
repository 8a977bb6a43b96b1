// Assigns closed trades to arm A (v1_backtest) or arm B (v2_paper); the labels are the registry's pointer names.
import { ARM_A, ARM_B, isArmLabel } from "@mlq/registry";

export type SplitMethod = "model_arm" | "temporal";

/** A closed paper trade as the A/B evaluation reads it (`pnl_pct` finite). */
export interface AbTrade {
  readonly id: number;
  readonly openedTsMs: number;
  readonly closedTsMs: number;
  readonly pnlPct: number;
  readonly modelArm?: string | null;
  readonly modelVersion?: string | null;
}

/** What the model_arm / temporal split reads of a trade (`loadAbTrades` returns these). */
export type SplitTrade = Pick<AbTrade, "id" | "closedTsMs" | "pnlPct" | "modelArm">;

/** One arm's trades as parallel arrays in close order (what `armMetrics` takes). */
export interface ArmSample {
  readonly returns: number[];
  readonly closeTsMs: number[];
}

export interface ArmSplit {
  readonly method: SplitMethod;
  readonly a: ArmSample;
  readonly b: ArmSample;
  /** With the model_arm split: trades whose model_arm is NULL or not an arm label (left out). */
  readonly untagged: number;
  /** With the temporal split: the boundary used (null = no successful retrain yet, all trades in A). */
  readonly boundaryTsMs: number | null;
}

/**
 * Splits by `model_arm` when the column exists and at least one trade carries an arm label
 * (true concurrent A/B; untagged trades are left out and counted). Otherwise splits in time
 * at the last successful retrain: closed at or before it → A (those trades were opened under
 * the old models), after it → B. Output is in (close time, id) order whatever the input order.
 */
export function splitArms(trades: readonly SplitTrade[], options: { lastRetrainTsMs: number | null; hasModelArm: boolean }): ArmSplit {
  const ordered = isCloseOrdered(trades) ? trades : [...trades].sort((x, y) => x.closedTsMs - y.closedTsMs || x.id - y.id);
  const a: ArmSample = { returns: [], closeTsMs: [] };
  const b: ArmSample = { returns: [], closeTsMs: [] };
  const push = (arm: ArmSample, t: SplitTrade) => {
    arm.returns.push(t.pnlPct);
    arm.closeTsMs.push(t.closedTsMs);
  };

  if (options.hasModelArm && ordered.some((t) => isArmLabel(t.modelArm))) {
    let untagged = 0;
    for (const t of ordered) {
      if (t.modelArm === ARM_A) push(a, t);
      else if (t.modelArm === ARM_B) push(b, t);
      else untagged++;
    }
    return { method: "model_arm", a, b, untagged, boundaryTsMs: null };
  }

  const boundary = options.lastRetrainTsMs;
  for (const t of ordered) {
    if (boundary === null || t.closedTsMs <= boundary) push(a, t);
    else push(b, t);
  }
  return { method: "temporal", a, b, untagged: 0, boundaryTsMs: boundary };
}

function isCloseOrdered(trades: readonly SplitTrade[]): boolean {
  for (let i = 1; i < trades.length; i++) {
    const p = trades[i - 1]!;
    const c = trades[i]!;
    if (c.closedTsMs < p.closedTsMs || (c.closedTsMs === p.closedTsMs && c.id < p.id)) return false;
  }
  return true;
}
