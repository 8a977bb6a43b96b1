// The monitor's drift step (issue 17 items 1–2): brings candles_1m up to date, builds the 11 features
// of the last window of closed bars (training's code path), scores the champion's and the
// challenger's drift against their manifests' baselines, records the check and — when the champion's
// rule fires, outside the cooldown and unless switched off — enqueues one `drift` retrain through the
// retrain queue's one-at-a-time rule. The enqueue is injected: workers pass the queue, --local none.
import { errorMessage, HOUR_MS, noProgress, silentLogger, throwIfAborted, type Logger, type ProgressFn } from "@mlq/core";
import type { Connection } from "@mlq/db";
import { listCandleSymbols, loadCandles, materializeCandlesAsync, type CandleSeries } from "@mlq/market-data";
import {
  buildFeatureRows,
  decideDriftRetrain,
  driftWindow,
  lastDriftRetrainMs,
  predict,
  recordDriftCheck,
  scoreVersionDrift,
  type DriftCheckAction,
  type FeatureRows,
  type VersionDriftScore,
} from "@mlq/ml";
import { currentRoles, loadModelSet, manifestDriftBaseline, type ManifestDriftBaseline } from "@mlq/registry";

/**
 * Bars loaded before the window so every feature has warmed up: 6 h = 360 bars, past vol_ratio's 100
 * returns; the EMAs of MACD (26/9) and Wilder's RSI/ATR (14) forget their seed within ~1e-12 by then.
 */
export const DRIFT_WARMUP_MS = 6 * HOUR_MS;

export interface DriftStepPolicy {
  /** MLQ_DRIFT_RETRAIN. */
  readonly retrain: boolean;
  /** MLQ_DRIFT_COOLDOWN_HOURS. */
  readonly cooldownHours: number;
}

/** Adds a `drift` retrain job; `deduplicated` when one is already waiting or running (the one-at-a-time rule). */
export type EnqueueDriftRetrain = (requestedBy: string) => Promise<{ jobId: string; deduplicated: boolean }>;

export interface DriftStepDeps {
  readonly conn: Connection;
  readonly modelsDir: string;
  readonly logger?: Logger | undefined;
  readonly progress?: ProgressFn | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly jobId?: string | null | undefined;
  readonly nowMs?: number | undefined;
  /** Absent (--local): a firing rule is recorded as 'not-enqueued'. */
  readonly enqueueRetrain?: EnqueueDriftRetrain | undefined;
  /** Skip bringing candles_1m up to date (the caller just did). */
  readonly skipCandles?: boolean | undefined;
}

export interface VersionDriftSummary {
  readonly version: string;
  readonly status: VersionDriftScore["status"] | "failed";
  readonly triggered: boolean;
  readonly reason: string;
  readonly symbols: readonly { symbol: string; status: string; bars: number; featuresOver: number; predictionPsi: number | null }[];
}

/** Plain JSON summary of the drift step (part of the monitor job's return value). */
export interface DriftStepSummary {
  readonly checkId: number;
  readonly status: "scored" | "no baseline" | "no champion";
  readonly windowFromIso: string | null;
  readonly windowToIso: string | null;
  readonly champion: VersionDriftSummary | null;
  readonly challenger: VersionDriftSummary | null;
  readonly triggered: boolean;
  readonly action: DriftCheckAction;
  readonly retrainJobId: string | null;
  readonly reason: string;
  readonly durationMs: number;
}

interface Scored {
  score: VersionDriftScore | null;
  summary: VersionDriftSummary;
}

function summarize(score: VersionDriftScore): VersionDriftSummary {
  return {
    version: score.version,
    status: score.status,
    triggered: score.triggered,
    reason: score.reason,
    symbols: score.symbols.map((s) => ({
      symbol: s.symbol,
      status: s.status,
      bars: s.bars,
      featuresOver: s.featuresOver,
      predictionPsi: s.predictionPsi,
    })),
  };
}

/** The feature rows of every symbol's bars in [fromMs − warm-up, toMs), cut at fromMs. */
export function loadDriftRows(conn: Connection, fromMs: number, toMs: number, signal?: AbortSignal): FeatureRows {
  const series: CandleSeries[] = [];
  for (const symbol of listCandleSymbols(conn.sqlite)) {
    const s = loadCandles(conn.sqlite, { symbol, fromMs: fromMs - DRIFT_WARMUP_MS, toMs });
    if (s.ts.length > 0) series.push(s);
  }
  return buildFeatureRows(series, { fromMs, ...(signal ? { signal } : {}) });
}

/** A version's drift inputs from its verified files, or why they cannot be read. */
type VersionInputs =
  | { version: string; baseline: ManifestDriftBaseline | null; direction: Uint8Array | undefined; featureNames: readonly string[] }
  | { version: string; error: string };

function readVersionInputs(modelsDir: string, version: string, logger: Logger): VersionInputs {
  try {
    const loaded = loadModelSet(modelsDir, version);
    return {
      version,
      baseline: manifestDriftBaseline(loaded.manifest),
      direction: loaded.models.find((m) => m.name === "direction")?.bytes,
      featureNames: loaded.manifest.feature_names,
    };
  } catch (err) {
    logger.warn("drift: version unreadable", { version, error: errorMessage(err) });
    return { version, error: `version ${version}: ${errorMessage(err)}` };
  }
}

/** Scores one version; a version whose files cannot be read is a 'failed' summary, not a thrown error. */
async function scoreVersion(inputs: VersionInputs, rows: FeatureRows | null, nowMs: number, logger: Logger): Promise<Scored> {
  const { version } = inputs;
  if ("error" in inputs)
    return { score: null, summary: { version, status: "failed", triggered: false, reason: inputs.error, symbols: [] } };
  if (inputs.baseline === null || rows === null) {
    const score = scoreVersionDrift(version, null, { featureNames: [], symbols: [], X: [], ts: [], symbolIndex: [] }, { nowMs });
    return { score, summary: summarize(score) };
  }
  let predictions: Float64Array | undefined;
  // The probabilities only when the model reads the features in the rows' order.
  if (inputs.direction && rows.rows > 0 && inputs.featureNames.join() === rows.featureNames.join()) {
    try {
      predictions = await predict(inputs.direction, rows.X, rows.rows, rows.featureNames.length);
    } catch (err) {
      logger.warn("drift: direction model could not predict; prediction PSI left out", { version, error: errorMessage(err) });
    }
  }
  const score = scoreVersionDrift(version, inputs.baseline, rows, { nowMs, predictions });
  return { score, summary: summarize(score) };
}

/**
 * One drift check: scores the champion and the challenger (a version that cannot be read is reported,
 * not thrown), records the check and its PSIs, and enqueues a `drift` retrain when the champion's rule
 * fires (decideDriftRetrain: cooldown, MLQ_DRIFT_RETRAIN). Writes one `drift_checks` row per run.
 */
export async function runDriftStep(deps: DriftStepDeps, policy: DriftStepPolicy): Promise<DriftStepSummary> {
  const started = performance.now();
  const { conn, modelsDir, signal } = deps;
  const logger = deps.logger ?? silentLogger;
  const progress = deps.progress ?? noProgress;
  const nowMs = deps.nowMs ?? Date.now();
  const roles = currentRoles(conn);
  const versions = { champion: roles.champion?.version ?? null, challenger: roles.challenger?.version ?? null };

  let champion: Scored | null = null;
  let challenger: Scored | null = null;
  if (versions.champion !== null || versions.challenger !== null) {
    progress({ stage: "drift", pct: 0, detail: "candles" });
    if (!deps.skipCandles) {
      try {
        await materializeCandlesAsync(conn, { threads: 0, signal, logger });
      } catch (err) {
        throwIfAborted(signal);
        logger.warn("drift: candles not brought up to date; scoring the candles there are", { error: errorMessage(err) });
      }
    }
    throwIfAborted(signal);
    progress({ stage: "drift", pct: 50, detail: "features" });
    const inputs = [versions.champion, versions.challenger].map((v) => (v === null ? null : readVersionInputs(modelsDir, v, logger)));
    // One set of rows for both versions, over the longest window either baseline asks for.
    const hours = inputs.flatMap((i) => (i && "baseline" in i && i.baseline ? [i.baseline.window_hours] : []));
    let rows: FeatureRows | null = null;
    if (hours.length > 0) {
      const { toMs } = driftWindow({ window_hours: 0, step_hours: 1 }, nowMs);
      rows = loadDriftRows(conn, toMs - Math.max(...hours) * HOUR_MS, toMs, signal);
    }
    if (inputs[0]) champion = await scoreVersion(inputs[0], rows, nowMs, logger);
    if (inputs[1]) challenger = await scoreVersion(inputs[1], rows, nowMs, logger);
  }

  const championScore = champion?.score ?? null;
  const decision = decideDriftRetrain(
    championScore,
    { enabled: policy.retrain, cooldownMs: policy.cooldownHours * HOUR_MS },
    lastDriftRetrainMs(conn),
    nowMs,
  );
  let action: DriftCheckAction = decision.action === "enqueue" ? "not-enqueued" : decision.action;
  let reason = champion && !champion.score ? champion.summary.reason : decision.reason;
  let retrainJobId: string | null = null;
  if (decision.action === "enqueue") {
    if (!deps.enqueueRetrain) {
      reason = `${decision.reason}; no queue in this run (--local): no retrain enqueued`;
    } else {
      try {
        const r = await deps.enqueueRetrain(`monitor: ${decision.reason}`.slice(0, 200));
        retrainJobId = r.jobId;
        action = r.deduplicated ? "deduplicated" : "enqueued";
        reason = r.deduplicated
          ? `${decision.reason}; a retrain is already waiting or running (job ${r.jobId}): none added (one at a time)`
          : `${decision.reason}; drift retrain enqueued (job ${r.jobId})`;
      } catch (err) {
        action = "enqueue-failed";
        reason = `${decision.reason}; the drift retrain could not be enqueued: ${errorMessage(err)}`;
      }
    }
  }
  if (challenger) reason += `; challenger ${challenger.summary.reason.replace(/^version /, "")}`;
  const status: DriftStepSummary["status"] =
    versions.champion === null ? "no champion" : championScore?.status === "scored" ? "scored" : "no baseline";
  const checkId = recordDriftCheck(conn, {
    tsMs: nowMs,
    jobId: deps.jobId ?? null,
    champion: championScore,
    challenger: challenger?.score ?? null,
    status,
    triggered: championScore?.triggered ?? false,
    action,
    retrainJobId,
    reason,
    details: { champion: champion?.summary ?? null, challenger: challenger?.summary ?? null },
  });
  const log = action === "enqueued" ? logger.warn.bind(logger) : logger.info.bind(logger);
  log(`drift: ${action}`, {
    checkId,
    champion: versions.champion,
    challenger: versions.challenger,
    triggered: championScore?.triggered ?? false,
    reason,
  });
  progress({ stage: "drift", pct: 100 });
  const scoredWindow =
    championScore?.status === "scored" ? championScore : challenger?.score?.status === "scored" ? challenger.score : null;
  return {
    checkId,
    status,
    windowFromIso: scoredWindow ? new Date(scoredWindow.windowFromMs).toISOString() : null,
    windowToIso: scoredWindow ? new Date(scoredWindow.windowToMs).toISOString() : null,
    champion: champion?.summary ?? null,
    challenger: challenger?.summary ?? null,
    triggered: championScore?.triggered ?? false,
    action,
    retrainJobId,
    reason,
    durationMs: Math.round(performance.now() - started),
  };
}
