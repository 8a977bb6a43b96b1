// A seeded simulation of the monitor's drift rule on demo-data's market model, at the pure-function
// level: one-minute candles from the regime chain, the training window's drift baseline exactly as
// the train stage builds it, then the hourly monitor (scoreVersionDrift + decideDriftRetrain with the
// cooldown) over the days after training. Optionally a planted shift after training.
import { DAY_MS, HOUR_MS, MINUTE_MS } from "@mlq/core";
import { insertDemoCandles, simulateDemoCandles, type DemoCandles } from "@mlq/demo-data";
import {
  buildFeatureRows,
  decideDriftRetrain,
  manifestBaselines,
  predictionBaseline,
  scoreVersionDrift,
  trainBooster,
  trainingDriftBaseline,
  type FeatureRows,
} from "@mlq/ml";
import { saveModelSet, type ManifestDriftBaseline } from "@mlq/registry";

export const SIM_T0 = Date.UTC(2026, 0, 5);

export interface DriftSimulationOptions {
  seed: number;
  trainDays?: number;
  monitorDays?: number;
  symbols?: readonly string[];
  /** After training: every minute's volatility × this (a volatility level never seen in training). */
  volShift?: number;
  /** After training: a drift of this many σ per minute (a one-way trend). */
  trendShift?: number;
  windowHours?: number;
  minFeatures?: number;
  thresholdQuantile?: number;
  cooldownHours?: number;
  /** MLQ_DRIFT_MIN_PSI (default 0.3, the config's). */
  minPsi?: number;
}

/** The manifest's drift_baseline for the training rows [trainFrom, trainTo) (the train stage's code path). */
export function simulatedBaseline(
  rows: FeatureRows,
  trainToMs: number,
  options: { windowHours: number; minFeatures: number; thresholdQuantile: number; minPsi?: number },
): ManifestDriftBaseline {
  const train = Int32Array.from({ length: rows.rows }, (_, r) => r).filter((r) => rows.ts[r]! < trainToMs);
  const featureDrift = trainingDriftBaseline(rows, train, options);
  const probs = Float64Array.from(train, (_, i) => (i % 97) / 97);
  const predictionDrift = predictionBaseline(
    probs,
    Int32Array.from(train, (r) => rows.symbolIndex[r]!),
    rows.symbols,
  );
  return manifestBaselines(
    {
      featureDrift,
      predictionDrift,
      entryThreshold: { quantile: 0.8, threshold: 0.5, rows: probs.length },
      importance: null,
      durationsMs: { predictionDrift: 0, importance: 0 },
    },
    rows.featureNames,
  ).driftBaseline;
}

export interface DriftSimulation {
  baseline: ManifestDriftBaseline;
  /** Hours the rule fired for the champion. */
  firedHours: number;
  hours: number;
  /** Drift retrains the monitor would have enqueued (with the cooldown). */
  retrainsMs: number[];
  /** Symbol-hours each feature was over its threshold. */
  overCounts: Record<string, number>;
}

/** Trains a baseline on the first `trainDays`, then runs the monitor every hour for `monitorDays`. */
export function simulateDriftMonitor(options: DriftSimulationOptions): DriftSimulation {
  const { seed, trainDays = 14, monitorDays = 30, symbols = ["BTC-USDT", "ETH-USDT"], volShift = 1, trendShift = 0 } = options;
  const windowHours = options.windowHours ?? 24;
  const minutes = (trainDays + monitorDays) * 1440;
  const trainToMs = SIM_T0 + trainDays * DAY_MS;
  const candles = simulateDemoCandles({ seed, symbols, fromMs: SIM_T0, minutes, shiftFromMs: trainToMs, volShift, trendShift });
  const rows = buildFeatureRows(candles);
  const baseline = simulatedBaseline(rows, trainToMs, {
    windowHours,
    minFeatures: options.minFeatures ?? 3,
    thresholdQuantile: options.thresholdQuantile ?? 0.99,
    minPsi: options.minPsi ?? 0.3,
  });
  const policy = { enabled: true, cooldownMs: (options.cooldownHours ?? 24) * HOUR_MS };
  const retrainsMs: number[] = [];
  let firedHours = 0;
  let hours = 0;
  const overCounts: Record<string, number> = {};
  // The first hour whose window lies wholly after training; a run at :05 as the scheduler does.
  for (let end = trainToMs + windowHours * HOUR_MS; end <= SIM_T0 + minutes * MINUTE_MS; end += HOUR_MS) {
    const nowMs = end + 5 * MINUTE_MS;
    const score = scoreVersionDrift("sim", baseline, rowsBetween(rows, end - windowHours * HOUR_MS, end), { nowMs });
    hours++;
    if (score.triggered) firedHours++;
    for (const sym of score.symbols) for (const f of sym.features) if (f.over) overCounts[f.feature] = (overCounts[f.feature] ?? 0) + 1;
    const decision = decideDriftRetrain(score, policy, retrainsMs.at(-1) ?? null, nowMs);
    if (decision.action === "enqueue") retrainsMs.push(nowMs);
  }
  return { baseline, firedHours, hours, retrainsMs, overCounts };
}

/** The rows with ts in [fromMs, toMs) (what the monitor loads for one window). */
function rowsBetween(rows: FeatureRows, fromMs: number, toMs: number): FeatureRows {
  const lo = firstAtOrAfter(rows.ts, fromMs);
  const hi = firstAtOrAfter(rows.ts, toMs);
  const cols = rows.featureNames.length;
  return {
    ...rows,
    rows: hi - lo,
    X: rows.X.subarray(lo * cols, hi * cols),
    ts: rows.ts.subarray(lo, hi),
    symbolIndex: rows.symbolIndex.subarray(lo, hi),
    candleIndex: rows.candleIndex.subarray(lo, hi),
  };
}

function firstAtOrAfter(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Writes candles straight into candles_1m (no ticks: materialization then has nothing to add). */
export const insertCandles = insertDemoCandles;

/**
 * A model version whose manifest holds the drift baseline of the candles before `trainToMs` and whose
 * direction model is a real (tiny) booster over the 11 features; the other four are stand-ins.
 */
export async function saveDriftVersion(
  modelsDir: string,
  version: number,
  candles: readonly DemoCandles[],
  trainToMs: number,
  options: { windowHours?: number; minFeatures?: number; thresholdQuantile?: number; minPsi?: number; withBaseline?: boolean } = {},
): Promise<void> {
  const rows = buildFeatureRows(candles);
  const cols = rows.featureNames.length;
  const n = Math.min(2000, rows.rows);
  const y = Float64Array.from({ length: n }, (_, r) => (rows.X[r * cols]! > 0 ? 1 : 0));
  const direction = await trainBooster({
    X: rows.X.subarray(0, n * cols),
    rows: n,
    cols,
    y,
    objective: "binary:logistic",
    params: { rounds: 3, maxDepth: 2, eta: 0.3, treeMethod: "hist", seed: 1 },
  });
  const driftBaseline =
    options.withBaseline === false
      ? undefined
      : simulatedBaseline(rows, trainToMs, {
          windowHours: options.windowHours ?? 24,
          minFeatures: options.minFeatures ?? 3,
          thresholdQuantile: options.thresholdQuantile ?? 0.99,
          minPsi: options.minPsi ?? 0.3,
        });
  saveModelSet(modelsDir, version, {
    models: [
      { name: "direction", objective: "binary:logistic", bytes: direction },
      ...["risk", "price", "momentum", "volatility"].map((name, k) => ({
        name,
        bytes: Uint8Array.from({ length: 32 }, (_, i) => (k + i) & 0xff),
      })),
    ],
    manifest: {
      featureNames: [...rows.featureNames],
      params: {},
      dataWindow: {},
      rowCounts: {},
      metrics: {},
      ...(driftBaseline ? { driftBaseline } : {}),
    },
  });
}
