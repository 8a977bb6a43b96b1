// Purged walk-forward split (SPEC 5): the oldest `trainFraction` of rows train, an embargo of
// at least max(embargoMinHours, H bars) is dropped, the rest test. Train rows whose labels read
// bars past the train boundary are purged, so no test-period price leaks into a train label.
import { ConfigError, HOUR_MS, MINUTE_MS } from "@mlq/core";
import type { Dataset } from "./build-dataset.js";

export interface WalkForwardOptions {
  /** Default 0.7. */
  trainFraction?: number;
  /** Default 24. */
  embargoMinHours?: number;
  /** Default: the dataset's own horizon. The embargo also spans at least H bars of every symbol. */
  horizonBars?: number;
  /** Fewer train rows (after purging) is "insufficient data". Default 500 (MLQ_MIN_TRAINING_ROWS). */
  minTrainRows?: number;
  /** Fewer test rows is "insufficient data". Default 100. */
  minTestRows?: number;
}

export interface WalkForwardSplit {
  ok: true;
  /** Row indices, ascending (= oldest first). */
  train: Int32Array;
  test: Int32Array;
  /** Train rows removed because their label horizon reaches past the boundary. */
  purged: number;
  /** Rows dropped between the boundary and the first test row. */
  embargoRows: number;
  /** Actual hours between the last kept train row and the first test row. */
  embargoHours: number;
  trainEndTs: number;
  testStartTs: number;
}

export interface InsufficientData {
  ok: false;
  reason: string;
}

export type SplitResult = WalkForwardSplit | InsufficientData;

export type SplittableDataset = Pick<Dataset, "rows" | "ts" | "labelEndTs" | "horizonBars">;

export function walkForwardSplit(dataset: SplittableDataset, options: WalkForwardOptions = {}): SplitResult {
  const {
    trainFraction = 0.7,
    embargoMinHours = 24,
    horizonBars = dataset.horizonBars,
    minTrainRows = 500,
    minTestRows = 100,
  } = options;
  if (!(trainFraction > 0 && trainFraction < 1)) throw new ConfigError(`trainFraction must be in (0, 1), got ${trainFraction}`);
  if (!(embargoMinHours >= 0)) throw new ConfigError(`embargoMinHours must be ≥ 0, got ${embargoMinHours}`);
  if (!(Number.isInteger(horizonBars) && horizonBars >= 1)) throw new ConfigError(`horizonBars must be a positive integer, got ${horizonBars}`);
  const { rows: n, ts, labelEndTs } = dataset;
  if (n === 0) return insufficient("the dataset has no rows");

  // The epsilon keeps 0.7 · 2880 (= 2015.9999…) at 2016 rows.
  let boundary = Math.floor(trainFraction * n + 1e-9);
  if (boundary < 1) return insufficient(`${n} rows cannot be split ${trainFraction} / ${1 - trainFraction}`);
  const boundaryTs = ts[boundary - 1]!;
  // Rows sharing the boundary timestamp (other symbols) stay on the train side.
  while (boundary < n && ts[boundary] === boundaryTs) boundary++;

  let maxLabelEnd = -Infinity;
  let kept = 0;
  for (let i = 0; i < boundary; i++) {
    if (labelEndTs[i]! > maxLabelEnd) maxLabelEnd = labelEndTs[i]!;
    if (labelEndTs[i]! <= boundaryTs) kept++;
  }
  const train = new Int32Array(kept);
  for (let i = 0, k = 0; i < boundary; i++) if (labelEndTs[i]! <= boundaryTs) train[k++] = i;
  const purged = boundary - kept;

  // Embargo: the minimum time, and past every pre-purge train label (≥ H bars of each symbol).
  const embargoEnd = boundaryTs + Math.max(embargoMinHours * HOUR_MS, horizonBars * MINUTE_MS);
  let testStart = boundary;
  while (testStart < n && (ts[testStart]! < embargoEnd || ts[testStart]! <= maxLabelEnd)) testStart++;
  const embargoRows = testStart - boundary;
  const testCount = n - testStart;

  if (kept < minTrainRows)
    return insufficient(`${kept} train rows after purging ${purged} (need ${minTrainRows}) out of ${n} rows`);
  if (testCount < minTestRows)
    return insufficient(
      `${testCount} test rows after an embargo of ${embargoRows} rows / ${fmtHours(embargoEnd - boundaryTs)} h (need ${minTestRows}) out of ${n} rows`,
    );

  const test = new Int32Array(testCount);
  for (let k = 0; k < testCount; k++) test[k] = testStart + k;
  const trainEndTs = ts[train[kept - 1]!]!;
  const testStartTs = ts[testStart]!;
  return {
    ok: true,
    train,
    test,
    purged,
    embargoRows,
    embargoHours: (testStartTs - trainEndTs) / HOUR_MS,
    trainEndTs,
    testStartTs,
  };
}

function insufficient(why: string): InsufficientData {
  return { ok: false, reason: `insufficient data: ${why}` };
}

function fmtHours(ms: number): string {
  return (ms / HOUR_MS).toFixed(1);
}
