// The retrain pipeline end to end: gates -> candles -> features -> split -> train -> registry,
// with exactly one phase2_retrain_runs row per run (success or failure) and progress per stage.
import { errorMessage, isoUtc, throwIfAborted, type Logger, type ProgressFn, silentLogger, noProgress } from "@mlq/core";
import type { Config } from "@mlq/config";
import { requireTables, writeTx, type Connection } from "@mlq/db";
import { candleCoverage, listCandleSymbols, loadCandles, materializeCandlesAsync } from "@mlq/market-data";
import { evaluateGates, gatePolicy, loadGateSnapshot, writeGateLog, type GateResult } from "@mlq/gates";
import { buildDataset, latestCalibration, roundTripCost, selectNewest, slippageMult, walkForwardSplit, checkRowCap } from "./features/index.js";
import { trainModelSet } from "./train/index.js";
import { checkModelsDirWritable, ensureV1Backtest, promoteV2Paper, saveModelSet } from "@mlq/registry";
import { ML_CODE_PACKAGE } from "./code-package.js";

export type RetrainTrigger = "scheduled" | "force" | "smoke" | "dry-run";

export interface RetrainDeps {
  conn: Connection;
  config: Config;
  modelsDir?: string;
  logger?: Logger;
  progress?: ProgressFn;
  signal?: AbortSignal;
  jobId?: string | null;
  nowMs?: number;
  codeVersion?: string;
}

export type RetrainOutcome = "trained" | "gates-failed" | "dry-run" | "insufficient-data" | "failed";

export interface RetrainSummary {
  runId: number;
  outcome: RetrainOutcome;
  trigger: RetrainTrigger;
  success: boolean;
  gatePass: boolean;
  gates: GateResult[];
  message: string;
  candles?: { rowsWritten: number; ticksRead: number; skippedTicks: number; coverage: { symbol: string; rows: number; firstTsMs: number | null; lastTsMs: number | null }[] };
  slippageMult?: number;
  slippageMultReason?: string;
  trainingRows?: number;
  testRows?: number;
  droppedRows?: number;
  embargoHours?: number;
  version?: string;
  modelDir?: string;
  metrics?: Record<string, Record<string, number | null>>;
  v1BacktestEstablished?: boolean;
  durationSec: number;
  stageMs: Record<string, number>;
}

/** Runs one retrain. Never throws for a gate failure or too little data: those are results. */
export async function runRetrain(deps: RetrainDeps, options: { trigger: RetrainTrigger }): Promise<RetrainSummary> {
  const { conn, config } = deps;
  const logger = deps.logger ?? silentLogger;
  const progress = deps.progress ?? noProgress;
  const modelsDir = deps.modelsDir ?? config.modelsDir;
  const nowMs = deps.nowMs ?? Date.now();
  const started = performance.now();
  const stageMs: Record<string, number> = {};
  const { trigger } = options;
  const smoke = trigger === "smoke";
  const force = trigger === "force";
  const dryRun = trigger === "dry-run";

  const runId = writeTx(conn, () => {
    // A row of this same job still 'running' belongs to an attempt whose worker died or lost
    // its lock (BullMQ re-ran the job): close it so exactly one row per attempt tells the truth.
    if (deps.jobId)
      conn.sqlite
        .prepare(
          `UPDATE phase2_retrain_runs SET status = 'failed', success = 0,
             error_msg = 'attempt interrupted (worker died or lost its job lock); the job was run again'
           WHERE job_id = ? AND status = 'running'`,
        )
        .run(deps.jobId);
    const r = conn.sqlite
      .prepare(
        `INSERT INTO phase2_retrain_runs (ts_ms, ts_iso, job_id, trigger_reason, success, status, vol_percentile_lo, vol_percentile_hi)
         VALUES (?, ?, ?, ?, 0, 'running', ?, ?)`,
      )
      .run(nowMs, isoUtc(nowMs), deps.jobId ?? null, trigger, config.gates.volPercentileLo, config.gates.volPercentileHi);
    return Number(r.lastInsertRowid);
  });
  const finish = (fields: Record<string, unknown>): void => {
    const durationSec = (performance.now() - started) / 1000;
    const cols = Object.keys(fields);
    writeTx(conn, () =>
      conn.sqlite
        .prepare(`UPDATE phase2_retrain_runs SET ${cols.map((c) => `${c} = @${c}`).join(", ")}, duration_sec = @duration_sec WHERE id = @id`)
        .run({ ...fields, duration_sec: durationSec, id: runId }),
    );
  };
  const timed = async <T>(stage: string, fn: () => T | Promise<T>): Promise<T> => {
    // A turn of the event loop between stages lets BullMQ renew the job lock.
    await new Promise<void>((resolve) => setImmediate(resolve));
    throwIfAborted(deps.signal);
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      stageMs[stage] = Math.round(performance.now() - t0);
    }
  };

  let gates: GateResult[] = [];
  let gatePass = false;
  try {
    requireTables(conn, ["ticks", "paper_trades"]);
    if (!dryRun) await timed("check-models-dir", () => checkModelsDirWritable(modelsDir));

    progress({ stage: "candles", pct: 0 });
    const candles = await timed("candles", () =>
      materializeCandlesAsync(conn, { signal: deps.signal, logger, progress: (p) => progress({ stage: "candles", pct: p.pct * 0.2, detail: p.detail }) }),
    );
    const coverage = candleCoverage(conn.sqlite);
    const candleSummary = { rowsWritten: candles.rowsWritten, ticksRead: candles.ticksRead, skippedTicks: candles.skippedTicks, coverage };

    progress({ stage: "gates", pct: 20 });
    gates = await timed("gates", () => evaluateGates(loadGateSnapshot(conn, nowMs, { maxGapMinutes: config.retrain.maxGapMinutes }), gatePolicy(config.gates, smoke)));
    gatePass = gates.every((g) => g.passed);
    const paperAge = gates.find((g) => g.name === "paper_age");
    const tradeCount = gates.find((g) => g.name === "trade_count");
    writeTx(conn, () => {
      writeGateLog(conn, runId, gates, nowMs);
      conn.sqlite
        .prepare(
          `UPDATE phase2_retrain_runs SET gate_pass = ?, gate_details = ?, paper_days = ?, closed_trades = ?, vol_percentile_lo = ?, vol_percentile_hi = ? WHERE id = ?`,
        )
        .run(gatePass ? 1 : 0, JSON.stringify(gates), paperAge?.value ?? null, tradeCount?.value ?? null, config.gates.volPercentileLo, config.gates.volPercentileHi, runId);
    });
    const failedGates = gates.filter((g) => !g.passed).map((g) => `${g.name} (${g.details})`);

    const calibration = latestCalibration(conn.sqlite);
    const mult = slippageMult({
      latestCalibration: calibration,
      basePerSidePct: config.costs.baseSlippagePerSidePct,
      min: config.costs.slippageMultMin,
      max: config.costs.slippageMultMax,
      minTrades: config.costs.slippageMultMinTrades,
    });
    finish({ slippage_mult: mult.mult });

    const base = { runId, trigger, gates, gatePass, candles: candleSummary, slippageMult: mult.mult, slippageMultReason: mult.reason, stageMs };
    if (dryRun) {
      const message = `dry run: gates ${gatePass ? "pass" : "fail"}; would train 5 models on ${coverage.reduce((s, c) => s + c.rows, 0)} candles`;
      finish({ success: 1, status: "done", models_trained: 0, error_msg: null });
      return { ...base, outcome: "dry-run", success: true, message, durationSec: (performance.now() - started) / 1000 };
    }
    if (!gatePass && !force) {
      const message = `gates not passed: ${failedGates.join("; ")}`;
      finish({ success: 0, status: "done", models_trained: 0, error_msg: message });
      logger.info("retrain skipped: gates not passed", { runId, failed: failedGates });
      return { ...base, outcome: "gates-failed", success: false, message, durationSec: (performance.now() - started) / 1000 };
    }
    if (!gatePass) logger.warn("gates not passed; training anyway (forced)", { runId, failed: failedGates });

    progress({ stage: "features", pct: 25 });
    const costFraction = roundTripCost({ feePctRoundTrip: config.costs.feePctRoundTrip, basePerSidePct: config.costs.baseSlippagePerSidePct, slippageMult: mult.mult });
    const dataset = await timed("features", () => {
      const series = listCandleSymbols(conn.sqlite).map((symbol) => loadCandles(conn.sqlite, { symbol }));
      return buildDataset(series, { horizonBars: config.retrain.horizonBars, costFraction, maxGapMinutes: config.retrain.maxGapMinutes });
    });
    const split = await timed("split", () =>
      walkForwardSplit(dataset, {
        trainFraction: config.retrain.trainFraction,
        embargoMinHours: config.retrain.embargoMinHours,
        horizonBars: config.retrain.horizonBars,
        minTrainRows: config.retrain.minTrainingRows,
        minTestRows: config.retrain.minTestRows,
      }),
    );
    if (!split.ok) {
      finish({ success: 0, status: "done", models_trained: 0, error_msg: split.reason, training_rows: dataset.rows });
      return { ...base, outcome: "insufficient-data", success: false, message: split.reason, droppedRows: dataset.droppedRows, durationSec: (performance.now() - started) / 1000 };
    }
    const train = selectNewest(split.train, config.retrain.maxTrainingRows);
    checkRowCap(train.length, dataset.featureNames.length, config.retrain.maxTrainingRows);
    finish({ training_rows: train.length, embargo_hours: split.embargoHours });

    progress({ stage: "train", pct: 30, detail: "model 0/5" });
    const trained = await timed("train", () =>
      trainModelSet({
        X: dataset.X,
        rows: dataset.rows,
        cols: dataset.featureNames.length,
        labels: dataset.y,
        train,
        test: split.test,
        params: {
          rounds: config.retrain.xgb.rounds,
          maxDepth: config.retrain.xgb.maxDepth,
          eta: config.retrain.xgb.eta,
          subsample: config.retrain.xgb.subsample,
          treeMethod: "hist",
          seed: 42,
        },
        maxRows: config.retrain.maxTrainingRows,
        threads: config.retrain.threads || undefined,
        signal: deps.signal,
        progress: (p) => progress({ stage: "train", pct: 30 + p.pct * 0.6, detail: p.detail }),
      }),
    );

    throwIfAborted(deps.signal);
    progress({ stage: "save", pct: 92 });
    const saved = await timed("save", () =>
      saveModelSet(modelsDir, String(runId), {
        models: trained.models,
        manifest: {
          featureNames: [...dataset.featureNames],
          params: { ...config.retrain.xgb, treeMethod: "hist", horizonBars: config.retrain.horizonBars, costFraction },
          dataWindow: {
            train_end_ms: split.trainEndTs,
            test_start_ms: split.testStartTs,
            train_end_iso: isoUtc(split.trainEndTs),
            test_start_iso: isoUtc(split.testStartTs),
            symbols: dataset.symbols,
          },
          rowCounts: { train: train.length, test: split.test.length, purged: split.purged, embargo: split.embargoRows, dropped_non_finite: dataset.droppedRows },
          metrics: trained.metrics as unknown as Record<string, unknown>,
          slippageMult: mult.mult,
          embargoHours: split.embargoHours,
          extra: { runId, trigger, labelNames: [...dataset.labelNames], gates, codeVersion: deps.codeVersion ?? null },
        },
      }, { gitSha: deps.codeVersion ?? null, codePackage: ML_CODE_PACKAGE }),
    );
    const version = saved.version;
    promoteV2Paper(modelsDir, version);
    const v1Established = ensureV1Backtest(modelsDir, version);
    if (v1Established) logger.info("no v1_backtest pointer existed: established it from this first trained set", { version });

    finish({
      success: 1,
      status: "done",
      models_trained: trained.models.length,
      model_dir: saved.versionDir,
      metrics: JSON.stringify(trained.metrics),
      error_msg: null,
    });
    progress({ stage: "done", pct: 100 });
    const message = `trained ${trained.models.length} models on ${train.length} rows (test ${split.test.length}); v2_paper -> ${version}`;
    return {
      ...base,
      outcome: "trained",
      success: true,
      message,
      trainingRows: train.length,
      testRows: split.test.length,
      droppedRows: dataset.droppedRows,
      embargoHours: split.embargoHours,
      version,
      modelDir: saved.versionDir,
      metrics: trained.metrics as unknown as RetrainSummary["metrics"],
      v1BacktestEstablished: v1Established,
      durationSec: (performance.now() - started) / 1000,
    };
  } catch (err) {
    const msg = errorMessage(err);
    try {
      finish({ success: 0, status: "failed", error_msg: msg, gate_pass: gates.length ? (gatePass ? 1 : 0) : null });
    } catch (auditErr) {
      logger.error("could not record the failed retrain run", { runId, error: errorMessage(auditErr) });
    }
    logger.error("retrain failed", { runId, error: msg });
    throw err;
  }
}

