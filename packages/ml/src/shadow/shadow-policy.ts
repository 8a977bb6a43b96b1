// The shadow evaluation's position policy: turns one model version's direction probabilities on closed
// bars into a per-bar return series, so champion and challenger can be compared on identical bars.
import { ConfigError, HOUR_MS, InputDataError, isoUtc } from "@mlq/core";

export interface ShadowBar {
  readonly tsMs: number;
  readonly close: number;
}

/** One symbol's closed bars in time order and the direction model's P(up) for each of them. */
export interface ShadowSymbolBars {
  readonly symbol: string;
  readonly bars: readonly ShadowBar[];
  /** Aligned with `bars`: probabilities[i] is the model's output on the features of bars[i]. */
  readonly probabilities: ArrayLike<number>;
}

export interface ShadowPolicyParams {
  /** The version's own entry threshold (manifest): enter when p ≥ it. */
  readonly entryThreshold: number;
  /** Holding period H in bars. */
  readonly horizonBars: number;
  /** Cost per side as a fraction (half the round-trip cost of SPEC §5), charged at entry and at exit. */
  readonly costPerSide: number;
  /** Largest allowed step between consecutive bars of a symbol; default 1 h. */
  readonly maxGapMs?: number;
}

export interface ShadowTrade {
  readonly symbol: string;
  /** Indexes into the symbol's bars. */
  readonly entryIndex: number;
  readonly exitIndex: number;
  readonly entryTsMs: number;
  readonly exitTsMs: number;
  readonly entryClose: number;
  readonly exitClose: number;
  /**
   * Log return net of cost: ln(exitClose / entryClose) − 2·costPerSide for a closed trade; an open one
   * (still held at the last bar) is marked to the last close with only the entry cost charged.
   */
  readonly pnl: number;
  readonly open: boolean;
}

export interface ShadowSegment {
  readonly symbol: string;
  /** Offset of the symbol's first bar in `returns`. */
  readonly start: number;
  readonly length: number;
}

export interface ShadowSeries {
  /**
   * Per-bar log returns, the symbols concatenated in input order (see `segments`): 0 while flat;
   * while held ln(C_t / C_{t−1}); −costPerSide added on the entry bar and on the exit bar.
   * Σ returns over a trade's bars = its `pnl`, so Σ returns = Σ pnl over all trades.
   */
  readonly returns: Float64Array;
  readonly segments: readonly ShadowSegment[];
  readonly trades: readonly ShadowTrade[];
}

/** The contract a bot owner's own policy must meet; `longOnlyHoldPolicy` is the default. */
export type ShadowPolicy = (symbols: readonly ShadowSymbolBars[], params: ShadowPolicyParams) => ShadowSeries;

export const DEFAULT_SHADOW_MAX_GAP_MS = HOUR_MS;

/**
 * Long-only, one position per symbol: at a bar's close, when flat and p ≥ entryThreshold, buy;
 * hold H bars; sell at the close of the H-th bar after entry. A position that exits at a bar's close
 * leaves the symbol flat at that close, so the same bar may open the next trade (its return then
 * carries both costs). The series is prefix-stable: adding bars never changes earlier values.
 */
export const longOnlyHoldPolicy: ShadowPolicy = (symbols, params) => {
  validateParams(params);
  const maxGapMs = params.maxGapMs ?? DEFAULT_SHADOW_MAX_GAP_MS;
  let total = 0;
  for (const s of symbols) {
    validateSymbol(s, maxGapMs);
    total += s.bars.length;
  }
  const returns = new Float64Array(total);
  const segments: ShadowSegment[] = [];
  const trades: ShadowTrade[] = [];
  const h = params.horizonBars;
  const c = params.costPerSide;
  let offset = 0;
  for (const { symbol, bars, probabilities } of symbols) {
    segments.push({ symbol, start: offset, length: bars.length });
    let entry = -1;
    for (let i = 0; i < bars.length; i++) {
      let r = 0;
      if (entry >= 0) {
        r = Math.log(bars[i]!.close / bars[i - 1]!.close);
        if (i - entry === h) {
          r -= c;
          trades.push(trade(symbol, bars, entry, i, c, false));
          entry = -1;
        }
      }
      if (entry < 0 && probabilities[i]! >= params.entryThreshold) {
        r -= c;
        entry = i;
      }
      returns[offset + i] = r;
    }
    if (entry >= 0) trades.push(trade(symbol, bars, entry, bars.length - 1, c, true));
    offset += bars.length;
  }
  return { returns, segments, trades };
};

function trade(symbol: string, bars: readonly ShadowBar[], entry: number, exit: number, c: number, open: boolean): ShadowTrade {
  const e = bars[entry]!;
  const x = bars[exit]!;
  return {
    symbol,
    entryIndex: entry,
    exitIndex: exit,
    entryTsMs: e.tsMs,
    exitTsMs: x.tsMs,
    entryClose: e.close,
    exitClose: x.close,
    pnl: Math.log(x.close / e.close) - (open ? c : 2 * c),
    open,
  };
}

function validateParams(p: ShadowPolicyParams): void {
  if (!(p.entryThreshold >= 0 && p.entryThreshold <= 1))
    throw new ConfigError(`shadow policy: entry threshold ${p.entryThreshold} is not in [0, 1]`);
  if (!Number.isInteger(p.horizonBars) || p.horizonBars < 1)
    throw new ConfigError(`shadow policy: horizon ${p.horizonBars} is not a whole number of bars ≥ 1`);
  if (!(p.costPerSide >= 0 && p.costPerSide < 1))
    throw new ConfigError(`shadow policy: cost per side ${p.costPerSide} is not a fraction in [0, 1)`);
  if (p.maxGapMs !== undefined && !(p.maxGapMs > 0)) throw new ConfigError(`shadow policy: max gap ${p.maxGapMs} ms is not positive`);
}

function validateSymbol({ symbol, bars, probabilities }: ShadowSymbolBars, maxGapMs: number): void {
  if (probabilities.length !== bars.length) {
    throw new InputDataError(`shadow bars of ${symbol}: ${bars.length} bars but ${probabilities.length} probabilities`, {
      context: { symbol },
    });
  }
  for (let i = 0; i < bars.length; i++) {
    const { tsMs, close } = bars[i]!;
    const fail = (what: string): never => {
      throw new InputDataError(`shadow bar ${symbol} ${barName(tsMs, i)}: ${what}`, { context: { symbol, index: i, tsMs } });
    };
    if (!Number.isFinite(tsMs)) fail(`timestamp ${tsMs} is not finite`);
    if (!(Number.isFinite(close) && close > 0)) fail(`close ${close} is not a positive finite price`);
    const p = probabilities[i]!;
    if (!(p >= 0 && p <= 1)) fail(`probability ${p} is not in [0, 1]`);
    if (i > 0) {
      const step = tsMs - bars[i - 1]!.tsMs;
      if (!(step > 0)) fail(`not after the previous bar (${isoUtc(bars[i - 1]!.tsMs)})`);
      if (step > maxGapMs) fail(`gap of ${formatMinutes(step)} after the previous bar (max ${formatMinutes(maxGapMs)})`);
    }
  }
}

function barName(tsMs: number, index: number): string {
  return Number.isFinite(tsMs) && Math.abs(tsMs) < 8.64e15 ? `${isoUtc(tsMs)} (#${index})` : `#${index}`;
}

function formatMinutes(ms: number): string {
  return `${Math.round((ms / 60_000) * 100) / 100} min`;
}
