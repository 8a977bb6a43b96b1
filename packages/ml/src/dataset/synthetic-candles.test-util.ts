// Deterministic synthetic candles for tests: a seeded random walk with OHLC around it.
import { expect } from "vitest";
import { MINUTE_MS } from "@mlq/core";
import type { CandleSeries } from "@mlq/market-data";

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticOptions {
  seed?: number;
  startTs?: number;
  /** Extra minutes inserted before bar i (a gap of g means ts[i] − ts[i−1] = (1 + g) minutes). */
  gaps?: Record<number, number>;
}

export function syntheticSeries(symbol: string, n: number, options: SyntheticOptions = {}): CandleSeries {
  const rand = mulberry32(options.seed ?? 1);
  const ts = new Float64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  let t = options.startTs ?? Date.UTC(2026, 0, 1);
  let price = 100;
  for (let i = 0; i < n; i++) {
    if (i > 0) t += (1 + (options.gaps?.[i] ?? 0)) * MINUTE_MS;
    const prev = price;
    price *= Math.exp((rand() - 0.5) * 0.004);
    ts[i] = t;
    open[i] = prev;
    close[i] = price;
    high[i] = Math.max(prev, price) * (1 + rand() * 0.001);
    low[i] = Math.min(prev, price) * (1 - rand() * 0.001);
    volume[i] = 1 + rand();
  }
  return { symbol, ts, open, high, low, close, volume, ticks: new Int32Array(n).fill(1) };
}

export function f64(xs: readonly number[]): Float64Array {
  return Float64Array.from(xs);
}

/** Element-wise equality that treats NaN as equal to NaN. */
export function sameValues(a: ArrayLike<number>, b: ArrayLike<number>, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Asserts a series element by element (NaN where NaN is expected, else to 10 decimals). */
export function expectSeries(actual: Float64Array, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    if (Number.isNaN(e)) expect(actual[i], `index ${i}`).toBeNaN();
    else expect(actual[i], `index ${i}`).toBeCloseTo(e, 10);
  });
}
