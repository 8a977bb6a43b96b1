// Options of generateDemoDatabase, their defaults (the README demo) and validation.
import { InputDataError, MINUTE_MS } from "@mlq/core";

export interface DemoOptions {
  /** Where the database ends up (written to a temp file beside it, then renamed). */
  out: string;
  /** Total ticks over all symbols (exact). Default 1,600,000: ~26 per symbol-minute. */
  ticks?: number;
  /** Paper trades in total (closed + open). Default 400. */
  trades?: number;
  /** How many of `trades` stay open. Default min(5, ⌊trades / 100⌋). */
  openTrades?: number;
  /** Days of tick history ending at `endMs`. Default 21. */
  days?: number;
  /** Days at the end of the history during which paper trades happen. Default round(days · 16/21). */
  paperDays?: number;
  /** Default ["BTC-USDT", "ETH-USDT"]. */
  symbols?: string[];
  /** Default 42. Same seed + same options (incl. endMs) → identical rows. */
  seed?: number;
  /** Tag trades with model_arm v1_backtest / v2_paper (half each). Default true. */
  arms?: boolean;
  /** End of the history (ms, floored to the minute). Default: now. */
  endMs?: number;
  /** Replace an existing file at `out`. Default false. */
  overwrite?: boolean;
  /** Fraction of ticks stamped a few ms before their predecessor, as real feeds do. Default 2e-5. */
  outOfOrderRate?: number;
}

export type ResolvedDemoOptions = Required<Omit<DemoOptions, "endMs">> & { endMs: number; fromMs: number; paperFromMs: number };

export const DEFAULT_DEMO_OPTIONS = {
  ticks: 1_600_000,
  trades: 400,
  days: 21,
  symbols: ["BTC-USDT", "ETH-USDT"],
  seed: 42,
  arms: true,
  overwrite: false,
  outOfOrderRate: 2e-5,
} as const;

const SYMBOL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$/;

/** Fills defaults and rejects bad values with one InputDataError naming the option. */
export function resolveDemoOptions(options: DemoOptions, nowMs: number): ResolvedDemoOptions {
  const bad = (what: string): never => {
    throw new InputDataError(`demo-data: ${what}`, { context: { out: options.out } });
  };
  if (typeof options.out !== "string" || options.out.trim() === "") bad("out must be a file path");
  const ticks = options.ticks ?? DEFAULT_DEMO_OPTIONS.ticks;
  const trades = options.trades ?? DEFAULT_DEMO_OPTIONS.trades;
  const days = options.days ?? DEFAULT_DEMO_OPTIONS.days;
  const symbols = options.symbols ?? [...DEFAULT_DEMO_OPTIONS.symbols];
  const seed = options.seed ?? DEFAULT_DEMO_OPTIONS.seed;
  const outOfOrderRate = options.outOfOrderRate ?? DEFAULT_DEMO_OPTIONS.outOfOrderRate;
  if (!Array.isArray(symbols) || symbols.length === 0) bad("symbols must list at least one symbol");
  for (const s of symbols) if (typeof s !== "string" || !SYMBOL_PATTERN.test(s)) bad(`invalid symbol ${JSON.stringify(s)}`);
  if (new Set(symbols).size !== symbols.length) bad(`duplicate symbol in ${symbols.join(",")}`);
  if (!Number.isSafeInteger(ticks) || ticks < symbols.length) bad(`ticks must be an integer ≥ the number of symbols (${symbols.length}), got ${String(ticks)}`);
  if (!Number.isSafeInteger(trades) || trades < 0) bad(`trades must be a non-negative integer, got ${String(trades)}`);
  if (!Number.isFinite(days) || days <= 0 || days > 3650) bad(`days must be in (0, 3650], got ${String(days)}`);
  if (!Number.isSafeInteger(seed)) bad(`seed must be an integer, got ${String(seed)}`);
  if (!(outOfOrderRate >= 0 && outOfOrderRate < 0.01)) bad(`outOfOrderRate must be in [0, 0.01), got ${String(outOfOrderRate)}`);
  const openTrades = options.openTrades ?? Math.min(5, Math.floor(trades / 100));
  if (!Number.isSafeInteger(openTrades) || openTrades < 0 || openTrades > trades)
    bad(`openTrades must be an integer in [0, trades=${trades}], got ${String(openTrades)}`);
  const paperDays = options.paperDays ?? Math.max(Math.min(days, 1), Math.round((days * 16) / 21));
  if (!Number.isFinite(paperDays) || paperDays <= 0 || paperDays > days) bad(`paperDays must be in (0, days=${days}], got ${String(paperDays)}`);
  const endRaw = options.endMs ?? nowMs;
  if (!Number.isSafeInteger(endRaw) || endRaw <= 0) bad(`endMs must be a positive integer timestamp, got ${String(endRaw)}`);
  const endMs = Math.floor(endRaw / MINUTE_MS) * MINUTE_MS;
  const fromMs = endMs - Math.round(days * 1440) * MINUTE_MS;
  const paperFromMs = endMs - Math.round(paperDays * 1440) * MINUTE_MS;
  if (trades > 0 && endMs - paperFromMs < 30 * MINUTE_MS) bad(`paperDays=${paperDays} is too short for trades`);
  return {
    out: options.out,
    ticks,
    trades,
    openTrades,
    days,
    paperDays,
    symbols: [...symbols],
    seed,
    arms: options.arms ?? DEFAULT_DEMO_OPTIONS.arms,
    overwrite: options.overwrite ?? DEFAULT_DEMO_OPTIONS.overwrite,
    outOfOrderRate,
    endMs,
    fromMs,
    paperFromMs,
  };
}

export interface SymbolProfile {
  basePrice: number;
  volMultiplier: number;
  /** Price decimals: about five significant digits, like the exchanges' tick sizes. */
  decimals: number;
}

const KNOWN_SYMBOLS: Record<string, { basePrice: number; volMultiplier: number }> = {
  "BTC-USDT": { basePrice: 60_000, volMultiplier: 1 },
  "ETH-USDT": { basePrice: 3_000, volMultiplier: 1.2 },
  "SOL-USDT": { basePrice: 150, volMultiplier: 1.5 },
  "XRP-USDT": { basePrice: 0.6, volMultiplier: 1.4 },
  "DOGE-USDT": { basePrice: 0.15, volMultiplier: 1.6 },
};

export function symbolProfile(symbol: string, fallbackIndex: number): SymbolProfile {
  const known = KNOWN_SYMBOLS[symbol.toUpperCase()] ?? { basePrice: 20 * 2 ** (fallbackIndex % 8), volMultiplier: 1.3 };
  const decimals = Math.max(0, 5 - Math.floor(Math.log10(known.basePrice)));
  return { ...known, decimals };
}

