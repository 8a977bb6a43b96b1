export type GateName = "paper_age" | "trade_count" | "regime_diversity";

/** One gate decision. `value`/`threshold` are null when undefined (never NaN). */
export interface GateResult {
  name: GateName;
  passed: boolean;
  value: number | null;
  threshold: number | null;
  details: string;
  /** Extra numbers for the run row (e.g. the regime gate's symbol counts). */
  metrics?: Record<string, number | null>;
  /** regime_diversity only: one entry per symbol with daily vols, in symbol order. */
  symbols?: SymbolRegime[];
}

/**
 * One symbol's regime-diversity check: its paper period's daily vol range against its own
 * history's [p_lo, p_hi] band (annualized %). Null where there are no days to measure.
 */
export interface SymbolRegime {
  symbol: string;
  /** Min and max daily vol since the paper period began; null without paper-period days. */
  paperMin: number | null;
  paperMax: number | null;
  /** The symbol's whole-history percentiles (policy volPercentileLo / volPercentileHi). */
  historyLo: number;
  historyHi: number;
  paperDays: number;
  historyDays: number;
  /** False when the symbol has fewer than the policy's regimeMinHistoryDays: it neither passes nor fails the gate. */
  counted: boolean;
  /** paperMin ≤ historyLo and paperMax ≥ historyHi (false when not counted). */
  passed: boolean;
}

/** The columns of a 1-minute candle series that daily vols read (a structural slice of @mlq/market-data's CandleSeries). */
export interface CloseSeries {
  readonly symbol: string;
  readonly ts: ArrayLike<number>;
  readonly close: ArrayLike<number>;
}

/** Realized volatility of one (symbol, UTC day): annualized %, from `returns` one-minute log returns. */
export interface DailyVol {
  symbol: string;
  dayMs: number;
  vol: number;
  returns: number;
}

/** Everything the gates look at, as plain data. */
export interface GateSnapshot {
  nowMs: number;
  /** Opening time of the first paper trade; null when there are none. */
  firstPaperTradeTsMs: number | null;
  /** UTC day start of the first paper trade (the paper period's first day). */
  paperStartDayMs: number | null;
  closedTrades: number;
  /** Daily vols of every symbol-day with at least two returns; the policy filters further. */
  dailyVols: DailyVol[];
}

export interface GatePolicy {
  smoke: boolean;
  paperDays: number;
  minClosedTrades: number;
  volPercentileLo: number;
  volPercentileHi: number;
  minReturnsPerDay: number;
  /** Usable history days a symbol needs before the regime gate counts it. */
  regimeMinHistoryDays: number;
  /** Share (0, 1] of counted symbols that must cover their band for the regime gate to pass. */
  regimeMinSymbolShare: number;
}
