// Seeded synthetic datasets with a planted, learnable signal for the training tests.
import type { ModelName } from "./model-set.js";

import { mulberry32 } from "../dataset/synthetic-candles.test-util.js";

/** mulberry32: tiny deterministic PRNG, uniform in [0, 1). */
export const seededRandom = mulberry32;

export interface SyntheticDataset {
  X: Float64Array;
  rows: number;
  cols: number;
  labels: Record<ModelName, Float64Array>;
}

/** Features uniform in [-1, 1); every label depends on a few features plus noise. */
export function syntheticDataset(rows: number, seed = 42, cols = 11): SyntheticDataset {
  const random = seededRandom(seed);
  const noise = (scale: number): number => (random() - 0.5) * 2 * scale;
  const X = new Float64Array(rows * cols);
  for (let i = 0; i < X.length; i++) X[i] = random() * 2 - 1;
  const labels = {
    direction: new Float64Array(rows),
    risk: new Float64Array(rows),
    price: new Float64Array(rows),
    momentum: new Float64Array(rows),
    volatility: new Float64Array(rows),
  };
  for (let r = 0; r < rows; r++) {
    const x = (c: number): number => X[r * cols + c] ?? 0;
    const price = 0.01 * (0.6 * x(0) - 0.4 * x(1)) + noise(0.004);
    labels.price[r] = price;
    labels.direction[r] = price > 0 ? 1 : 0;
    labels.risk[r] = Math.max(0, 0.01 * Math.abs(x(2)) + noise(0.002));
    labels.momentum[r] = Math.tanh(x(0) + x(3)) * 0.8 + noise(0.1);
    labels.volatility[r] = 0.002 + 0.001 * x(4) * x(4) + Math.abs(noise(0.0002));
  }
  return { X, rows, cols, labels };
}

/** Row indices [from, to). */
export function range(from: number, to: number): Int32Array {
  return Int32Array.from({ length: to - from }, (_, i) => from + i);
}
