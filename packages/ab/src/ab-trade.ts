// A closed paper trade as the A/B reads it, and one arm's sample.

/** A closed paper trade as the A/B evaluation reads it (`pnl_pct` finite). */
export interface AbTrade {
  readonly id: number;
  readonly openedTsMs: number;
  readonly closedTsMs: number;
  readonly pnlPct: number;
  readonly modelArm?: string | null;
  readonly modelVersion?: string | null;
}

/** One arm's trades as parallel arrays in close order (what `armMetrics` takes). */
export interface ArmSample {
  readonly returns: number[];
  readonly closeTsMs: number[];
}
