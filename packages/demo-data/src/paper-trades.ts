// Paper trades of the demo bot: when they open and close, which side they take (a noisy
// oracle on the planned price path, better for v2_paper), and how fills, fees and pnl follow.
import { DAY_MS, HOUR_MS, MINUTE_MS } from "@mlq/core";
import type { Rng } from "@mlq/core";

export type Side = "long" | "short";
export type ModelArm = "v1_backtest" | "v2_paper";

export const STRATEGIES = ["momentum_breakout", "mean_reversion", "trend_follow", "vol_squeeze"] as const;

/** Fee per side as a fraction of notional (0.06 %). */
export const FEE_RATE_PER_SIDE = 0.0006;

/** Mean adverse slippage per side (%) by UTC time-of-day bucket: 00-06, 06-12, 12-18, 18-24. */
export const SLIPPAGE_MEAN_PCT_BY_BUCKET = [0.02, 0.06, 0.035, 0.025] as const;

/** Probability that a trade's side matches the price move over its holding period. */
export const SIDE_SKILL = { v1_backtest: 0.58, v2_paper: 0.7, untagged: 0.64 } as const;

export interface PlannedTrade {
  symbolIndex: number;
  side: Side;
  strategy: string;
  modelArm: ModelArm | null;
  /** Planned signal times; the generator snaps them to the next tick of the symbol. */
  openAtMs: number;
  closeAtMs: number | null;
  notionalUsd: number;
}

export interface TradePlanInput {
  closedTrades: number;
  openTrades: number;
  symbolCount: number;
  paperFromMs: number;
  toMs: number;
  arms: boolean;
  /** Log price at each minute boundary from `fromMs`, per symbol (the oracle's view). */
  logPriceAt: (symbolIndex: number, tsMs: number) => number;
}

/** Plans every trade; the first one opens within 30 minutes of the paper period start. */
export function planTrades(rng: Rng, input: TradePlanInput): PlannedTrade[] {
  const { paperFromMs, toMs } = input;
  const span = toMs - paperFromMs;
  const trades: PlannedTrade[] = [];
  for (let i = 0; i < input.closedTrades; i++) {
    const holdMs = clampHold(Math.exp(Math.log(60) + 0.8 * rng.normal()) * MINUTE_MS, span);
    const latestOpen = toMs - 2 * MINUTE_MS - holdMs;
    const openAtMs =
      i === 0 ? paperFromMs + rng.next() * Math.min(30 * MINUTE_MS, latestOpen - paperFromMs) : paperFromMs + rng.next() * (latestOpen - paperFromMs);
    trades.push(plannedTrade(rng, input, i, Math.round(openAtMs), Math.round(openAtMs + holdMs)));
  }
  const openWindow = Math.min(6 * HOUR_MS, span / 2);
  for (let i = 0; i < input.openTrades; i++) {
    const openAtMs = toMs - MINUTE_MS - rng.next() * openWindow;
    trades.push(plannedTrade(rng, input, input.closedTrades + i, Math.round(openAtMs), null));
  }
  return trades;
}

function clampHold(holdMs: number, span: number): number {
  return Math.max(3 * MINUTE_MS, Math.min(8 * HOUR_MS, holdMs, span / 4));
}

function plannedTrade(rng: Rng, input: TradePlanInput, index: number, openAtMs: number, closeAtMs: number | null): PlannedTrade {
  const symbolIndex = rng.int(input.symbolCount);
  // Alternating arms gives exactly half the trades to each arm.
  const modelArm: ModelArm | null = input.arms ? (index % 2 === 0 ? "v1_backtest" : "v2_paper") : null;
  const skill = modelArm === null ? SIDE_SKILL.untagged : SIDE_SKILL[modelArm];
  const horizonEnd = closeAtMs ?? Math.min(input.toMs, openAtMs + HOUR_MS);
  const move = input.logPriceAt(symbolIndex, horizonEnd) - input.logPriceAt(symbolIndex, openAtMs);
  const right = rng.next() < skill;
  const side: Side = (move >= 0) === right ? "long" : "short";
  const strategy = STRATEGIES[rng.int(STRATEGIES.length)]!;
  const notionalUsd = 500 + 100 * rng.int(46);
  return { symbolIndex, side, strategy, modelArm, openAtMs, closeAtMs, notionalUsd };
}

/** UTC time-of-day bucket 0..3 (00-06, 06-12, 12-18, 18-24). */
export function timeOfDayBucket(tsMs: number): number {
  return Math.floor((((tsMs % DAY_MS) + DAY_MS) % DAY_MS) / (6 * HOUR_MS));
}

/**
 * Draws one side's slippage (%, positive = adverse): the bucket mean, scaled up in volatile
 * regimes, with noise wide enough that about one fill in ten is favourable.
 */
export function drawSlippagePct(rng: Rng, fillTsMs: number, regimeVol: number): number {
  const regimeFactor = Math.min(1.5, Math.max(0.8, 0.8 + 0.4 * (regimeVol / 0.5)));
  const meanPct = SLIPPAGE_MEAN_PCT_BY_BUCKET[timeOfDayBucket(fillTsMs)]! * regimeFactor;
  return meanPct * (1 + 0.75 * rng.normal());
}

export interface TradeRow {
  side: Side;
  qty: number;
  entryPrice: number;
  exitPrice: number | null;
  fees: number;
  pnl: number | null;
  pnlPct: number | null;
}

/**
 * Fills, fees and pnl for one trade. Slippage is adverse when positive: a long buys above
 * and sells below the signal, a short the reverse. pnl_pct is in percent of entry notional.
 */
export function fillTrade(args: {
  side: Side;
  notionalUsd: number;
  signalEntry: number;
  signalExit: number | null;
  entrySlippagePct: number;
  exitSlippagePct: number;
  roundPrice: (price: number) => number;
}): TradeRow {
  const { side, signalEntry, signalExit, roundPrice } = args;
  const sign = side === "long" ? 1 : -1;
  const qty = Math.max(1e-6, Math.round((args.notionalUsd / signalEntry) * 1e6) / 1e6);
  const entryPrice = roundPrice(signalEntry * (1 + (sign * args.entrySlippagePct) / 100));
  if (signalExit === null) {
    return { side, qty, entryPrice, exitPrice: null, fees: qty * entryPrice * FEE_RATE_PER_SIDE, pnl: null, pnlPct: null };
  }
  const exitPrice = roundPrice(signalExit * (1 - (sign * args.exitSlippagePct) / 100));
  const fees = qty * (entryPrice + exitPrice) * FEE_RATE_PER_SIDE;
  const pnl = sign * qty * (exitPrice - entryPrice) - fees;
  return { side, qty, entryPrice, exitPrice, fees, pnl, pnlPct: (pnl / (qty * entryPrice)) * 100 };
}
