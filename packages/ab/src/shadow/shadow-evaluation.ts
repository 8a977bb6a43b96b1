// The paired shadow evaluation (SPEC §6): champion (A) and challenger (B) score the same closed bars
// after both versions' trained_through_ms + embargo with the training code's features; one position
// policy turns each version's direction probabilities into a per-bar return series, and the paired
// Sharpe tests compare them. Reads the database and the registry, writes nothing.
import { ConfigError, errorMessage, HOUR_MS, isoUtc, MINUTE_MS, MlqError, throwIfAborted } from "@mlq/core";
import type { Connection } from "@mlq/db";
import { listCandleSymbols, loadCandles } from "@mlq/market-data";
import {
  buildFeatureRows,
  DEFAULT_SHADOW_MAX_GAP_MS,
  loadScoringVersion,
  longOnlyHoldPolicy,
  predictBatch,
  type FeatureRows,
  type ScoringVersion,
  type ShadowPolicy,
  type ShadowSeries,
  type ShadowSymbolBars,
} from "@mlq/ml";
import { bootstrapPairedSharpe, DEFAULT_BLOCK_LENGTH_PER_HORIZON, DEFAULT_BOOTSTRAP_RESAMPLES } from "./block-bootstrap.js";
import { hacPairedSharpe, jobsonKorkieMemmel, pairMoments } from "./paired-sharpe.js";

export type ShadowStatus = "ok" | "insufficient" | "failed";

export interface ShadowOptions {
  /** Fewer paired bars than this (all symbols together) is "insufficient": no p-value yet. 0 = 300 × H. */
  readonly minBars: number;
  /** Bootstrap resamples (fixed; default 2,000). */
  readonly resamples?: number;
  /** Bootstrap block length in bars (≥ H); default 2 × H. */
  readonly blockLength?: number;
  /** Seed of the bootstrap's resampling stream: the same bars give the same p. */
  readonly seed?: number;
  /** Training's MLQ_MAX_GAP_MINUTES: a longer hole restarts the features' warm-up. */
  readonly maxGapMinutes: number;
  /** Embargo for a version whose manifest records none (training's MLQ_EMBARGO_MIN_HOURS). */
  readonly defaultEmbargoHours: number;
  /**
   * Closed bars read before the window for the features' warm-up (default 1,440 = one day). The
   * EMA/Wilder seeds of MACD and RSI decay as (25/27)^n and (13/14)^n: after a day their effect is
   * below 1e-45, so the features equal what training's longer series gives to double precision.
   */
  readonly warmupBars?: number;
  /** A hole longer than this between a symbol's scored bars splits it: no position is held across it. Default 1 h. */
  readonly maxHoldGapMs?: number;
  /** The position policy (default `longOnlyHoldPolicy`); a bot owner may replace it. */
  readonly policy?: ShadowPolicy;
  /** Points of the equity curves kept for the dashboard (default 400). */
  readonly curvePoints?: number;
}

export interface ShadowInput {
  readonly conn: Connection;
  readonly modelsDir: string;
  /** A: the champion. */
  readonly champion: string;
  /** B: the challenger. */
  readonly challenger: string;
  readonly nowMs: number;
  /** Half of the round-trip cost (SPEC §5) from the latest calibration: one figure for both versions. */
  readonly costPerSide: number;
  readonly options: ShadowOptions;
  readonly signal?: AbortSignal;
}

export interface ShadowCurves {
  /** Bar times (ms), one point per kept time step. */
  readonly ts: number[];
  /** Cumulative per-bar log return of each version, summed over symbols (one unit per symbol). */
  readonly a: number[];
  readonly b: number[];
}

export interface ShadowEvaluation {
  readonly status: ShadowStatus;
  /** One line: why there is no p-value ("insufficient") or what was wrong ("failed"); null when ok. */
  readonly reason: string | null;
  readonly versionA: string;
  readonly versionB: string;
  readonly windowStartMs: number | null;
  readonly windowEndMs: number | null;
  /** Paired bars (all symbols) and the minimum the test needs. */
  readonly bars: number;
  readonly minBars: number | null;
  readonly symbols: string[];
  readonly perSymbol: { readonly symbol: string; readonly bars: number; readonly pieces: number }[];
  readonly horizonBars: number | null;
  readonly costPerSide: number;
  readonly thresholds: { readonly a: number | null; readonly b: number | null };
  readonly tradesA: number;
  readonly tradesB: number;
  /** Per-bar Sharpe ratios (ddof 1), their difference B − A and the series' correlation. */
  readonly sharpeA: number | null;
  readonly sharpeB: number | null;
  readonly difference: number | null;
  readonly correlation: number | null;
  readonly meanA: number | null;
  readonly meanB: number | null;
  /** Jobson–Korkie–Memmel z (i.i.d.) and its HAC-studentized version (the sequential statistic). */
  readonly jkmZ: number | null;
  readonly hacZ: number | null;
  /** Studentized circular block bootstrap: one-sided p that B is no better / no worse than A. */
  readonly pBetter: number | null;
  readonly pWorse: number | null;
  /** "identical" when both series are equal bar for bar, "degenerate" when the test is undefined. */
  readonly testStatus: string | null;
  readonly method: {
    readonly blockLength: number | null;
    readonly resamples: number;
    readonly seed: number;
    readonly kernel: string | null;
    readonly bandwidth: number | null;
  };
  readonly curves: ShadowCurves | null;
}

const DEFAULT_WARMUP_BARS = 1440;
const DEFAULT_CURVE_POINTS = 400;
const DEFAULT_SEED = 16;

/**
 * Runs the shadow evaluation of `challenger` against `champion`. Bad input (a missing or corrupt
 * model, a version without a direction model or without `trained_through_ms`, NaN prices) is a
 * result with status "failed" or "insufficient" and a one-line reason, never a throw; a retryable
 * error (a busy database) and an abort are thrown.
 */
export async function runShadowEvaluation(input: ShadowInput): Promise<ShadowEvaluation> {
  const { options } = input;
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const seed = options.seed ?? DEFAULT_SEED;
  const base = emptyEvaluation(input, resamples, seed);
  try {
    return await evaluate(input, base);
  } catch (err) {
    if (err instanceof MlqError && (err.retryable || err.code === "ABORTED")) throw err;
    if (err instanceof ConfigError) throw err;
    if (!(err instanceof MlqError)) throw err;
    return { ...base, status: "failed", reason: errorMessage(err) };
  }
}

async function evaluate(input: ShadowInput, base: ShadowEvaluation): Promise<ShadowEvaluation> {
  const { conn, options, nowMs, signal } = input;
  if (!(input.costPerSide >= 0 && input.costPerSide < 1))
    throw new ConfigError(`shadow evaluation: cost per side ${input.costPerSide} is not a fraction in [0, 1)`);
  const a = loadScoringVersion(input.modelsDir, input.champion);
  const b = loadScoringVersion(input.modelsDir, input.challenger);
  const thresholds = { a: a.entryThreshold, b: b.entryThreshold };
  const withThresholds = { ...base, thresholds };
  for (const v of [a, b]) {
    if (v.trainedThroughMs === null)
      return insufficient(
        withThresholds,
        `version ${v.version} records no trained_through_ms (trained before mlq kept it): scoring it cannot be proven free of look-ahead`,
      );
    if (v.entryThreshold === null)
      return insufficient(withThresholds, `version ${v.version} records no entry_threshold: the shadow policy has no threshold for it`);
  }
  const horizonBars = Math.max(a.horizonBars ?? 0, b.horizonBars ?? 0);
  if (horizonBars < 1) return insufficient(withThresholds, `versions ${a.version} and ${b.version} record no horizon_bars in their params`);
  const minBars = options.minBars > 0 ? options.minBars : 300 * horizonBars;
  const windowStartMs = Math.max(windowStart(a, options.defaultEmbargoHours), windowStart(b, options.defaultEmbargoHours));
  const windowed = { ...withThresholds, windowStartMs, windowEndMs: nowMs, horizonBars, minBars };
  if (windowStartMs >= nowMs)
    return insufficient(
      windowed,
      `the shadow window opens at ${isoUtc(windowStartMs)} (after both versions' training + embargo), still ahead`,
    );

  const scored = loadFeatureRows(conn, windowStartMs, nowMs, options, signal);
  const rows = scored.rows;
  throwIfAborted(signal);
  const [pa, pb] = [await scoreRows(a, rows, signal), await scoreRows(b, rows, signal)];
  throwIfAborted(signal);
  const pieces = splitPieces(scored, pa, pb, options.maxHoldGapMs ?? DEFAULT_SHADOW_MAX_GAP_MS);
  const policy = options.policy ?? longOnlyHoldPolicy;
  const seriesA = policy(pieces.a, {
    entryThreshold: a.entryThreshold!,
    horizonBars: a.horizonBars ?? horizonBars,
    costPerSide: input.costPerSide,
  });
  const seriesB = policy(pieces.b, {
    entryThreshold: b.entryThreshold!,
    horizonBars: b.horizonBars ?? horizonBars,
    costPerSide: input.costPerSide,
  });
  const bars = seriesA.returns.length;
  const counted = {
    ...windowed,
    windowEndMs: bars > 0 ? rows.ts[rows.rows - 1]! + MINUTE_MS : nowMs,
    bars,
    symbols: rows.symbols,
    perSymbol: pieces.perSymbol,
    tradesA: seriesA.trades.length,
    tradesB: seriesB.trades.length,
    curves: equityCurves(pieces.ts, seriesA, seriesB, options.curvePoints ?? DEFAULT_CURVE_POINTS),
  };
  if (bars < minBars)
    return insufficient(
      counted,
      `the shadow window has ${bars} paired bars since ${isoUtc(windowStartMs)}, fewer than MLQ_SHADOW_MIN_BARS = ${minBars}`,
    );

  const m = pairMoments(seriesA.returns, seriesB.returns);
  const jkm = jobsonKorkieMemmel(seriesA.returns, seriesB.returns);
  const blockLength = options.blockLength ?? DEFAULT_BLOCK_LENGTH_PER_HORIZON * horizonBars;
  const boot = bootstrapPairedSharpe(seriesA.returns, seriesB.returns, {
    horizonBars,
    blockLength,
    resamples: base.method.resamples,
    seed: base.method.seed,
  });
  const hac = hacPairedSharpe(seriesA.returns, seriesB.returns, { horizonBars, bandwidth: boot.bandwidth, kernel: boot.kernel });
  const ok = boot.status === "ok";
  return {
    ...counted,
    status: "ok",
    reason: boot.reason,
    sharpeA: boot.sharpeA,
    sharpeB: boot.sharpeB,
    difference: boot.difference,
    correlation: boot.correlation,
    meanA: m.meanA,
    meanB: m.meanB,
    jkmZ: jkm.status === "ok" ? jkm.z : null,
    hacZ: ok ? hac.z : hac.status === "identical" ? 0 : null,
    pBetter: boot.pBetter,
    pWorse: boot.pWorse,
    testStatus: boot.status,
    method: { ...base.method, blockLength: boot.blockLength, kernel: boot.kernel, bandwidth: boot.bandwidth },
  };
}

function emptyEvaluation(input: ShadowInput, resamples: number, seed: number): ShadowEvaluation {
  return {
    status: "insufficient",
    reason: null,
    versionA: input.champion,
    versionB: input.challenger,
    windowStartMs: null,
    windowEndMs: null,
    bars: 0,
    minBars: null,
    symbols: [],
    perSymbol: [],
    horizonBars: null,
    costPerSide: input.costPerSide,
    thresholds: { a: null, b: null },
    tradesA: 0,
    tradesB: 0,
    sharpeA: null,
    sharpeB: null,
    difference: null,
    correlation: null,
    meanA: null,
    meanB: null,
    jkmZ: null,
    hacZ: null,
    pBetter: null,
    pWorse: null,
    testStatus: null,
    method: { blockLength: null, resamples, seed, kernel: null, bandwidth: null },
    curves: null,
  };
}

function insufficient(e: ShadowEvaluation, reason: string): ShadowEvaluation {
  return { ...e, status: "insufficient", reason };
}

/** The first bar the version may be scored on: strictly after its last training bar + embargo. */
function windowStart(v: ScoringVersion, defaultEmbargoHours: number): number {
  return v.trainedThroughMs! + (v.embargoHours ?? defaultEmbargoHours) * HOUR_MS + 1;
}

interface ScoredBars {
  readonly rows: FeatureRows;
  /** Close of each row's bar. */
  readonly close: Float64Array;
}

/** Features of every closed bar of every symbol from `fromMs`, with a warm-up read before it. */
function loadFeatureRows(conn: Connection, fromMs: number, nowMs: number, options: ShadowOptions, signal?: AbortSignal): ScoredBars {
  const warmupMs = (options.warmupBars ?? DEFAULT_WARMUP_BARS) * MINUTE_MS;
  // A one-minute bucket is closed once its minute has passed.
  const toMs = nowMs - MINUTE_MS + 1;
  const series = listCandleSymbols(conn.sqlite).map((symbol) => loadCandles(conn.sqlite, { symbol, fromMs: fromMs - warmupMs, toMs }));
  const rows = buildFeatureRows(series, { fromMs, maxGapMinutes: options.maxGapMinutes, ...(signal && { signal }) });
  const bySymbol = new Map(series.map((s) => [s.symbol, s.close] as const));
  const closes = rows.symbols.map((symbol) => bySymbol.get(symbol)!);
  const close = Float64Array.from({ length: rows.rows }, (_, r) => closes[rows.symbolIndex[r]!]![rows.candleIndex[r]!]!);
  return { rows, close };
}

async function scoreRows(v: ScoringVersion, rows: FeatureRows, signal?: AbortSignal): Promise<Float64Array> {
  return predictBatch(v.directionBytes, rows.X, rows.rows, rows.featureNames.length, signal ? { signal } : {});
}

interface Pieces {
  readonly a: ShadowSymbolBars[];
  readonly b: ShadowSymbolBars[];
  /** Bar time of each element of the concatenated series, in the policy's order. */
  readonly ts: Float64Array;
  readonly perSymbol: { symbol: string; bars: number; pieces: number }[];
}

/**
 * Per symbol, its rows in time order, cut where consecutive scored bars are more than `maxGapMs`
 * apart: the policy holds no position across such a hole (one still open is marked at the last
 * close before it).
 */
function splitPieces({ rows, close }: ScoredBars, pa: Float64Array, pb: Float64Array, maxGapMs: number): Pieces {
  const bySymbol: number[][] = rows.symbols.map(() => []);
  for (let r = 0; r < rows.rows; r++) bySymbol[rows.symbolIndex[r]!]!.push(r);
  const a: ShadowSymbolBars[] = [];
  const b: ShadowSymbolBars[] = [];
  const ts = new Float64Array(rows.rows);
  const perSymbol: Pieces["perSymbol"] = [];
  let offset = 0;
  rows.symbols.forEach((symbol, k) => {
    const idx = bySymbol[k]!;
    let pieces = 0;
    let start = 0;
    for (let i = 1; i <= idx.length; i++) {
      if (i < idx.length && rows.ts[idx[i]!]! - rows.ts[idx[i - 1]!]! <= maxGapMs) continue;
      const part = idx.slice(start, i);
      const bars = part.map((r) => ({ tsMs: rows.ts[r]!, close: close[r]! }));
      a.push({ symbol, bars, probabilities: Float64Array.from(part, (r) => pa[r]!) });
      b.push({ symbol, bars, probabilities: Float64Array.from(part, (r) => pb[r]!) });
      for (const r of part) ts[offset++] = rows.ts[r]!;
      pieces++;
      start = i;
    }
    perSymbol.push({ symbol, bars: idx.length, pieces });
  });
  return { a, b, ts, perSymbol };
}

/** Both versions' cumulative returns summed over symbols per bar time, thinned to at most `points` points. */
function equityCurves(ts: Float64Array, a: ShadowSeries, b: ShadowSeries, points: number): ShadowCurves | null {
  const n = a.returns.length;
  if (n === 0) return null;
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => ts[x]! - ts[y]! || x - y);
  const times: number[] = [];
  const ca: number[] = [];
  const cb: number[] = [];
  let sa = 0;
  let sb = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    sa += a.returns[i]!;
    sb += b.returns[i]!;
    if (k + 1 < n && ts[order[k + 1]!] === ts[i]) continue;
    times.push(ts[i]!);
    ca.push(sa);
    cb.push(sb);
  }
  const step = Math.max(1, Math.ceil(times.length / points));
  const keep = (_: number, i: number): boolean => i % step === 0 || i === times.length - 1;
  return { ts: times.filter(keep), a: ca.filter(keep).map(round6), b: cb.filter(keep).map(round6) };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
