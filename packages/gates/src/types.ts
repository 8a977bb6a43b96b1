export type GateName = "paper_age" | "trade_count" | "regime_diversity";

/** One gate decision. `value`/`threshold` are null when undefined (never NaN). */
export interface GateResult {
  name: GateName;
  passed: boolean;
  value: number | null;
  threshold: number | null;
  details: string;
  /** Extra numbers for the run row (e.g. the regime gate's percentile band). */
  metrics?: Record<string, number | null>;
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
}
