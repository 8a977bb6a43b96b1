// The I/O shell: reads closed paper trades and candle closes in one short read transaction,
// runs the pure calibrator, writes the JSON atomically and records a `calibration_runs` row
// (success or failure, one short transaction each).
import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { ensureDir, errorMessage, isoUtc, silentLogger, throwIfAborted, writeFileAtomic, type Logger, type ProgressFn } from "@mlq/core";
import { calibrationRuns, requireColumns, tableExists, writeTx, type Connection } from "@mlq/db";
import { calibrate, type CalibrationTrade, type RegimeMethodCounts, type SkippedCounts } from "./calibrate.js";
import { CalibrationFileSchema, toCalibrationFile, type CalibrationFile } from "./calibration-file.js";
import { validatePolicy, type CalibrationPolicy } from "./policy.js";
import { buildRegimeLookup, type CandleCloses, type RegimeLookup } from "./regime.js";

export interface RunCalibrationDeps {
  conn: Connection;
  /** Where execution_calibration.json goes; its directory is created when missing. */
  outPath: string;
  logger?: Logger;
  signal?: AbortSignal;
  progress?: ProgressFn;
  jobId?: string;
  /** Clock for generated_at and the run row (tests pin it). */
  nowMs?: number;
}

export interface CalibrationSummary {
  runId: number;
  outPath: string;
  tradesAnalyzed: number;
  emaSlippagePerSidePct: number | null;
  slippageRatio: number | null;
  positionSizeMultiplier: number;
  skipped: SkippedCounts;
  regimeMethod: RegimeMethodCounts;
  recommendations: string[];
  durationMs: number;
}

export interface CalibrationInput {
  trades: CalibrationTrade[];
  regimeLookup: RegimeLookup;
  candleSymbols: number;
  candles: number;
}

// side comes back as 1 / 2 / 0 so no string is allocated per row (about a sixth of the read).
/** paper_trades columns the calibration reads; checked first so a bot table lacking one gets a one-line answer. */
export const CALIBRATION_TRADE_COLUMNS = [
  "id",
  "symbol",
  "side",
  "status",
  "opened_ts_ms",
  "closed_ts_ms",
  "entry_price",
  "exit_price",
  "signal_entry_price",
  "signal_exit_price",
  "pnl_pct",
] as const;

const CLOSED_TRADES_SQL = `SELECT id, symbol, CASE side WHEN 'long' THEN 1 WHEN 'short' THEN 2 ELSE 0 END, opened_ts_ms, closed_ts_ms, entry_price, exit_price,
  signal_entry_price, signal_exit_price, pnl_pct
  FROM paper_trades WHERE status = 'closed'`;

type TradeRow = [number, string, 0 | 1 | 2, number, number | null, number | null, number | null, number | null, number | null, number | null];

const SIDE_CODES = ["invalid", "long", "short"] as const;

/**
 * Closed paper trades as stored (junk values included), in no particular order: `calibrate`
 * sorts by close time anyway, and an SQL ORDER BY on the unindexed column costs as much again.
 */
export function loadCalibrationTrades(conn: Connection): CalibrationTrade[] {
  requireColumns(conn, "paper_trades", CALIBRATION_TRADE_COLUMNS);
  const rows = conn.sqlite.prepare(CLOSED_TRADES_SQL).raw(true).all() as TradeRow[];
  return rows.map((r) => ({
    id: r[0],
    symbol: r[1],
    side: SIDE_CODES[r[2]],
    openedTsMs: r[3],
    closedTsMs: r[4],
    entryPrice: r[5],
    exitPrice: r[6],
    signalEntryPrice: r[7],
    signalExitPrice: r[8],
    pnlPct: r[9],
  }));
}

/** Each symbol's candle closes loaded once into typed arrays (bucket start, close), oldest first. */
export function loadCandleCloses(conn: Connection, symbols: Iterable<string>): Map<string, CandleCloses> {
  const out = new Map<string, CandleCloses>();
  if (!tableExists(conn.sqlite, "candles_1m")) return out;
  // Two plucked columns avoid allocating one row object per candle.
  const tsStmt = conn.sqlite.prepare("SELECT bucket_ts_ms FROM candles_1m WHERE symbol = ? ORDER BY bucket_ts_ms").pluck(true);
  const closeStmt = conn.sqlite.prepare("SELECT close FROM candles_1m WHERE symbol = ? ORDER BY bucket_ts_ms").pluck(true);
  // One snapshot for both columns, or a bar materialized in between would misalign them.
  conn.sqlite.transaction(() => {
    for (const symbol of symbols) {
      const ts = tsStmt.all(symbol) as number[];
      if (ts.length === 0) continue;
      const close = closeStmt.all(symbol) as number[];
      out.set(symbol, { bucketTsMs: Float64Array.from(ts), close: Float64Array.from(close) });
    }
  })();
  return out;
}

/** Reads everything the calibrator needs in one read transaction (a consistent snapshot; WAL readers never block the bot). */
export function loadCalibrationInput(conn: Connection, policy: CalibrationPolicy): CalibrationInput {
  const read = conn.sqlite.transaction(() => {
    const trades = loadCalibrationTrades(conn);
    const symbols = new Set(trades.map((t) => t.symbol));
    return { trades, series: loadCandleCloses(conn, symbols) };
  });
  const { trades, series } = read.deferred();
  let candles = 0;
  for (const s of series.values()) candles += s.bucketTsMs.length;
  const regimeLookup = buildRegimeLookup(series, {
    lookbackBars: policy.regimeLookbackBars,
    volatilePercentile: policy.volatilePercentile,
    trendingEfficiency: policy.trendingEfficiency,
  });
  return { trades, regimeLookup, candleSymbols: series.size, candles };
}

interface RunRow {
  tsMs: number;
  jobId: string | undefined;
  outPath: string;
  file: CalibrationFile | null;
  errorMsg: string | null;
}

function recordRun(conn: Connection, row: RunRow): number {
  return writeTx(conn, () => {
    const inserted = conn.db
      .insert(calibrationRuns)
      .values({
        tsMs: row.tsMs,
        tsIso: isoUtc(row.tsMs),
        jobId: row.jobId ?? null,
        tradesAnalyzed: row.file?.trades_analyzed ?? 0,
        emaSlippagePerSidePct: row.file?.ema_slippage_per_side_pct ?? null,
        positionSizeMultiplier: row.file?.position_size_multiplier ?? null,
        outputPath: row.outPath,
        payload: row.file === null ? null : JSON.stringify(row.file),
        success: row.errorMsg === null ? 1 : 0,
        errorMsg: row.errorMsg,
      })
      .returning({ id: calibrationRuns.id })
      .get();
    return inserted.id;
  });
}

/**
 * Calibrates from the database and writes `outPath` atomically. Any failure (missing table,
 * unwritable output, abort) is recorded as a failed run row and rethrown; the previous
 * calibration file is then left as it was.
 */
export function runCalibration(deps: RunCalibrationDeps, policy: CalibrationPolicy): CalibrationSummary {
  const started = performance.now();
  const { conn, signal, jobId } = deps;
  const logger = deps.logger ?? silentLogger;
  const progress = deps.progress ?? (() => undefined);
  const nowMs = deps.nowMs ?? Date.now();
  const outPath = resolve(deps.outPath);
  try {
    const valid = validatePolicy(policy);
    throwIfAborted(signal);
    progress({ stage: "load", pct: 5 });
    const input = loadCalibrationInput(conn, valid);
    logger.info("calibration input loaded", { trades: input.trades.length, candleSymbols: input.candleSymbols, candles: input.candles, db: conn.path });
    throwIfAborted(signal);
    progress({ stage: "calibrate", pct: 50, detail: `${input.trades.length} trades` });
    const report = calibrate(input.trades, input.regimeLookup, valid);
    const file = toCalibrationFile(report, nowMs);
    throwIfAborted(signal);
    progress({ stage: "write", pct: 85 });
    ensureDir(dirname(outPath));
    writeFileAtomic(outPath, `${JSON.stringify(file, null, 2)}\n`);
    const runId = recordRun(conn, { tsMs: nowMs, jobId, outPath, file, errorMsg: null });
    progress({ stage: "done", pct: 100 });
    const summary: CalibrationSummary = {
      runId,
      outPath,
      tradesAnalyzed: report.tradesAnalyzed,
      emaSlippagePerSidePct: report.emaSlippagePerSidePct,
      slippageRatio: report.slippageRatio,
      positionSizeMultiplier: report.positionSizeMultiplier,
      skipped: report.skipped,
      regimeMethod: report.regimeMethod,
      recommendations: report.recommendations,
      durationMs: performance.now() - started,
    };
    logger.info("calibration written", { runId, outPath, tradesAnalyzed: summary.tradesAnalyzed, multiplier: summary.positionSizeMultiplier });
    return summary;
  } catch (err) {
    recordFailedCalibration({ conn, outPath, jobId, nowMs, logger }, err);
    throw err;
  }
}

/**
 * Records a calibration attempt that failed (success = 0, the error's message) and logs it.
 * `runCalibration` calls it for its own failures; callers call it for a failed preparation step
 * (e.g. bringing the candles up to date) so that attempt is audited too. Never throws: a row that
 * cannot be written is logged.
 */
export function recordFailedCalibration(deps: Pick<RunCalibrationDeps, "conn" | "outPath" | "jobId" | "nowMs" | "logger">, err: unknown): void {
  const logger = deps.logger ?? silentLogger;
  const outPath = resolve(deps.outPath);
  const message = errorMessage(err);
  try {
    recordRun(deps.conn, { tsMs: deps.nowMs ?? Date.now(), jobId: deps.jobId, outPath, file: null, errorMsg: message });
  } catch (recordErr) {
    logger.error("could not record failed calibration run", { error: errorMessage(recordErr), db: deps.conn.path });
  }
  logger.error("calibration failed", { error: message, outPath });
}

export interface CalibrationRunRecord {
  id: number;
  tsMs: number;
  tsIso: string;
  jobId: string | null;
  tradesAnalyzed: number;
  emaSlippagePerSidePct: number | null;
  positionSizeMultiplier: number | null;
  outputPath: string | null;
  success: boolean;
  errorMsg: string | null;
  /** The file content written by that run; null for failed runs or a payload that is not a v2 file. */
  payload: CalibrationFile | null;
  /** The stored payload JSON whatever its shape (older runs, other versions); null when absent or not JSON. */
  rawPayload: unknown;
  /** Why the stored payload could not be parsed as JSON; null when it parsed or is absent. */
  payloadError: string | null;
}

type CalibrationRunRow = Omit<CalibrationRunRecord, "success" | "payload" | "rawPayload" | "payloadError"> & { success: number; payload: string | null };

/** Latest calibration run (successful ones only unless `includeFailed`), or null when none. */
export function latestCalibrationRun(conn: Connection, options: { includeFailed?: boolean } = {}): CalibrationRunRecord | null {
  if (!tableExists(conn.sqlite, "calibration_runs")) return null;
  const where = options.includeFailed ? "" : "WHERE success = 1";
  const row = conn.sqlite
    .prepare(
      `SELECT id, ts_ms AS tsMs, ts_iso AS tsIso, job_id AS jobId, trades_analyzed AS tradesAnalyzed,
        ema_slippage_per_side_pct AS emaSlippagePerSidePct, position_size_multiplier AS positionSizeMultiplier,
        output_path AS outputPath, payload, success, error_msg AS errorMsg
        FROM calibration_runs ${where} ORDER BY ts_ms DESC, id DESC LIMIT 1`,
    )
    .get() as CalibrationRunRow | undefined;
  if (row === undefined) return null;
  let rawPayload: unknown = null;
  let payloadError: string | null = null;
  if (row.payload !== null && row.payload !== "") {
    try {
      rawPayload = JSON.parse(row.payload) as unknown;
    } catch (err) {
      payloadError = errorMessage(err);
    }
  }
  const parsed = CalibrationFileSchema.safeParse(rawPayload);
  return {
    id: row.id,
    tsMs: row.tsMs,
    tsIso: row.tsIso,
    jobId: row.jobId,
    tradesAnalyzed: row.tradesAnalyzed,
    emaSlippagePerSidePct: row.emaSlippagePerSidePct,
    positionSizeMultiplier: row.positionSizeMultiplier,
    outputPath: row.outputPath,
    success: row.success === 1,
    errorMsg: row.errorMsg,
    payload: parsed.success ? parsed.data : null,
    rawPayload,
    payloadError,
  };
}
