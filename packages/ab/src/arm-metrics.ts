// Per-arm performance on per-trade returns (`pnl_pct`, in percent). Every field is a finite
// number or null, so the result can go straight into the audit row and the job's JSON.
import { DAY_MS, finiteOrNull, InputDataError, kurtosis, minTrackRecordLength, psr, skewness, type SharpeEstimate } from "@mlq/core";

export const YEAR_MS = 365.25 * DAY_MS;

export interface ArmMetrics extends SharpeEstimate {
  readonly trades: number;
  /** Mean pnl_pct per trade (percent). */
  readonly expectancy: number | null;
  /** Sample standard deviation (ddof = 1) of pnl_pct. */
  readonly std: number | null;
  /** mean / std per trade; null with fewer than 2 trades or zero variance. */
  readonly sharpe: number | null;
  /** Per-trade Sharpe × √(trades per year). */
  readonly sharpeAnnualized: number | null;
  /** trades / (last close − first close) in years; null when the span is zero. */
  readonly tradesPerYear: number | null;
  /** Share of trades with pnl_pct > 0 (0..1). */
  readonly winRate: number | null;
  /**
   * Σ wins / |Σ losses|. 0 when there are losses but no wins; null when there are no
   * losses — then `profitFactorInfinite` says whether that is ∞ (some wins) or undefined.
   */
  readonly profitFactor: number | null;
  readonly profitFactorInfinite: boolean;
  readonly grossProfit: number;
  readonly grossLoss: number;
  /** Largest peak-to-trough fall of the cumulative (summed) pnl_pct, in percentage points, ≥ 0. */
  readonly maxDrawdown: number | null;
  readonly skewness: number | null;
  readonly kurtosis: number | null;
  /** Probabilistic Sharpe Ratio against SR* = 0. */
  readonly psr: number | null;
  /** Minimum track record length (trades) for PSR ≥ 0.95; null unless Sharpe > 0. */
  readonly minTrackRecord: number | null;
  readonly firstCloseTsMs: number | null;
  readonly lastCloseTsMs: number | null;
}

/**
 * Metrics for one arm. `returns` are pnl_pct in close order, `closeTsMs` their close times
 * (same length). Cumulative return is the running sum of pnl_pct (fixed stake per trade).
 */
export function armMetrics(returns: ArrayLike<number>, closeTsMs: ArrayLike<number>): ArmMetrics {
  const n = returns.length;
  if (closeTsMs.length !== n)
    throw new InputDataError(`armMetrics: ${n} returns but ${closeTsMs.length} close times`, { context: { returns: n, closeTs: closeTsMs.length } });
  let sum = 0;
  let wins = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let cumulative = 0;
  let peak = 0;
  let maxDrawdown = 0;
  let firstClose = Infinity;
  let lastClose = -Infinity;
  for (let i = 0; i < n; i++) {
    const r = returns[i]!;
    if (!Number.isFinite(r)) throw new InputDataError(`armMetrics: return #${i} is not a finite number (${r})`, { context: { index: i } });
    sum += r;
    if (r > 0) {
      wins++;
      grossProfit += r;
    } else if (r < 0) {
      grossLoss -= r;
    }
    cumulative += r;
    if (cumulative > peak) peak = cumulative;
    if (peak - cumulative > maxDrawdown) maxDrawdown = peak - cumulative;
    const t = closeTsMs[i]!;
    if (t < firstClose) firstClose = t;
    if (t > lastClose) lastClose = t;
  }

  const expectancy = n > 0 ? sum / n : null;
  let std: number | null = null;
  if (n >= 2 && expectancy !== null) {
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const d = returns[i]! - expectancy;
      ss += d * d;
    }
    std = Math.sqrt(ss / (n - 1));
  }
  // A spread below float noise of the mean is zero variance (e.g. 100 trades of exactly 0.1 %).
  const zeroVariance = std === null || expectancy === null || std <= 1e-12 * Math.max(1, Math.abs(expectancy));
  const sharpe = zeroVariance || std === null || expectancy === null ? null : finiteOrNull(expectancy / std);
  const spanYears = n >= 2 ? (lastClose - firstClose) / YEAR_MS : 0;
  const tradesPerYear = spanYears > 0 ? finiteOrNull(n / spanYears) : null;
  const sharpeAnnualized = sharpe !== null && tradesPerYear !== null ? finiteOrNull(sharpe * Math.sqrt(tradesPerYear)) : null;
  const skew = zeroVariance ? null : skewness(returns);
  const kurt = zeroVariance ? null : kurtosis(returns);
  const est: SharpeEstimate = { trades: n, sharpe, skewness: skew, kurtosis: kurt };

  return {
    trades: n,
    expectancy: expectancy === null ? null : finiteOrNull(expectancy),
    std: std === null ? null : finiteOrNull(std),
    sharpe,
    sharpeAnnualized,
    tradesPerYear,
    winRate: n > 0 ? wins / n : null,
    profitFactor: grossLoss > 0 ? finiteOrNull(grossProfit / grossLoss) : null,
    profitFactorInfinite: grossLoss === 0 && grossProfit > 0,
    grossProfit,
    grossLoss,
    maxDrawdown: n > 0 ? maxDrawdown : null,
    skewness: skew,
    kurtosis: kurt,
    psr: psr(est),
    minTrackRecord: minTrackRecordLength(est),
    firstCloseTsMs: n > 0 ? firstClose : null,
    lastCloseTsMs: n > 0 ? lastClose : null,
  };
}

/** Running sum of pnl_pct: the equity curve a dashboard draws for an arm. */
export function cumulativeReturns(returns: ArrayLike<number>): number[] {
  const out = new Array<number>(returns.length);
  let c = 0;
  for (let i = 0; i < returns.length; i++) {
    c += returns[i]!;
    out[i] = c;
  }
  return out;
}
