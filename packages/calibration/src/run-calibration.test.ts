import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AbortedError, InputDataError, OutputError } from "@mlq/core";
import { openDatabase, openMigrated, type Connection } from "@mlq/db";
import { CalibrationFileSchema } from "./calibration-file.js";
import { DEFAULT_CALIBRATION_POLICY } from "./policy.js";
import { latestCalibrationRun, runCalibration } from "./run-calibration.js";

const T0 = Date.UTC(2026, 0, 5);
const MIN = 60_000;
const NOW = Date.UTC(2026, 1, 1, 12, 30);
const policy = { ...DEFAULT_CALIBRATION_POLICY, regimeLookbackBars: 5, minBucketTrades: 2 };

let dir: string;
let conn: Connection;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-cal-"));
  conn = openMigrated(join(dir, "bot.db"), { create: true });
});
afterEach(() => {
  conn.close();
  rmSync(dir, { recursive: true, force: true });
});

function insertTrade(t: Record<string, unknown>): void {
  const row = {
    symbol: "BTC",
    side: "long",
    status: "closed",
    opened_ts_ms: T0 + 30 * MIN,
    closed_ts_ms: T0 + 40 * MIN,
    entry_price: 100.06,
    exit_price: 99.94,
    signal_entry_price: 100,
    signal_exit_price: 100,
    pnl_pct: 0.5,
    ...t,
  };
  const cols = Object.keys(row);
  conn.sqlite.prepare(`INSERT INTO paper_trades (${cols.join(",")}) VALUES (${cols.map(() => "?").join(",")})`).run(...Object.values(row));
}

function insertCandles(symbol: string, closes: number[]): void {
  const stmt = conn.sqlite.prepare("INSERT INTO candles_1m (symbol, bucket_ts_ms, open, high, low, close, ticks, volume) VALUES (?, ?, ?, ?, ?, ?, 1, 0)");
  closes.forEach((c, i) => stmt.run(symbol, T0 + i * MIN, c, c, c, c));
}

function runs() {
  return conn.sqlite.prepare("SELECT success, error_msg, trades_analyzed, job_id FROM calibration_runs ORDER BY id").all() as {
    success: number;
    error_msg: string | null;
    trades_analyzed: number;
    job_id: string | null;
  }[];
}

/** Makes `d` unwritable even for root (chattr +i); null when this machine cannot. */
function lockDir(d: string): (() => void) | null {
  if (process.getuid?.() !== 0) {
    chmodSync(d, 0o555);
    return () => chmodSync(d, 0o755);
  }
  try {
    execFileSync("chattr", ["+i", d], { stdio: "ignore" });
    return () => execFileSync("chattr", ["-i", d], { stdio: "ignore" });
  } catch {
    return null;
  }
}

describe("runCalibration", () => {
  it("writes a file an older reader can parse and records a run row", () => {
    insertCandles("BTC", Array.from({ length: 30 }, (_, i) => 100 + 0.1 * i)); // a steady climb before the opens
    // 0.06 % per side on both sides = 1.0× the assumed 0.03 × 2
    for (let i = 0; i < 3; i++) insertTrade({ id: i + 1, closed_ts_ms: T0 + (40 + i) * MIN });
    insertTrade({ id: 9, status: "open", closed_ts_ms: null }); // open trades are not read
    const outPath = join(dir, "out", "execution_calibration.json");
    const progress: number[] = [];
    const summary = runCalibration({ conn, outPath, jobId: "job-1", nowMs: NOW, progress: (p) => progress.push(p.pct) }, policy);

    const v1 = JSON.parse(readFileSync(outPath, "utf8")) as Record<string, unknown>;
    expect(typeof v1.avg_slippage_per_side_pct).toBe("number");
    expect(typeof v1.position_size_multiplier).toBe("number");
    expect(v1.avg_slippage_per_side_pct as number).toBeCloseTo(0.06, 9);
    expect(v1.position_size_multiplier).toBe(1);

    const file = CalibrationFileSchema.parse(v1);
    expect(file.trades_analyzed).toBe(3);
    expect(file.regime_method).toEqual({ candles: 3, pnl_proxy: 0, unclassified: 0 });
    expect(file.regime_slippage.trending.trades).toBe(3);
    expect(file.generated_at).toBe("2026-02-01T12:30:00.000Z");
    expect(summary).toMatchObject({ outPath, tradesAnalyzed: 3, positionSizeMultiplier: 1 });
    expect(progress.at(-1)).toBe(100);
    expect(runs()).toEqual([{ success: 1, error_msg: null, trades_analyzed: 3, job_id: "job-1" }]);

    const latest = latestCalibrationRun(conn);
    expect(latest).toMatchObject({ id: summary.runId, success: true, tradesAnalyzed: 3, outputPath: outPath });
    expect(latest?.payload?.position_size_multiplier).toBe(1);
  });

  it("applies the default ×3 recent boost end to end (span 100, the last 50 trades, cap 0.5)", () => {
    // Slippage per side 0.06, 0.06, 0.12 % (both sides of each trade, all in 00-06 UTC).
    // alpha 2/101, ×3 = 6/101 for all three trades (fewer than 50):
    //   overall 0.06 → 0.06 → 0.06 + 6/101·0.06 = 0.0635644 (0.0611881 without the boost)
    //   00-06 over six sides 0.06 ×4, 0.12 ×2: 0.0635644 → 0.0635644 + 6/101·(0.12 − 0.0635644) = 0.0669170
    insertTrade({ id: 1, closed_ts_ms: T0 + 40 * MIN });
    insertTrade({ id: 2, closed_ts_ms: T0 + 41 * MIN });
    insertTrade({ id: 3, closed_ts_ms: T0 + 42 * MIN, entry_price: 100.12, exit_price: 99.88 });
    const outPath = join(dir, "boost.json");
    runCalibration({ conn, outPath, nowMs: NOW }, DEFAULT_CALIBRATION_POLICY);
    expect(DEFAULT_CALIBRATION_POLICY).toMatchObject({ emaSpan: 100, recentTrades: 50, recentBoost: 3, alphaCap: 0.5 });
    const file = CalibrationFileSchema.parse(JSON.parse(readFileSync(outPath, "utf8")));
    expect(file.ema_slippage_per_side_pct).toBeCloseTo(0.06356435643564357, 12);
    expect(file.avg_slippage_per_side_pct).toBeCloseTo(0.06356435643564357, 12);
    expect(file.time_of_day["00-06"]!.ema_slippage_per_side_pct).toBeCloseTo(0.06691696892461524, 12);
    expect(file.position_size_multiplier).toBe(1); // ratio 1.06: inside the neutral band
  });

  it("falls back to the pnl proxy where no candles cover the open, and says so", () => {
    insertTrade({ id: 1, symbol: "ETH", pnl_pct: 2 });
    insertTrade({ id: 2, symbol: "ETH", pnl_pct: -0.1, signal_entry_price: null });
    const s = runCalibration({ conn, outPath: join(dir, "c.json"), nowMs: NOW }, policy);
    expect(s.regimeMethod).toEqual({ candles: 0, pnl_proxy: 2, unclassified: 0 });
    expect(s.skipped.null_signal).toBe(1);
    expect(s.recommendations.join(" ")).toMatch(/pnl_pct proxy/);
  });

  it("writes a placeholder file with multiplier 1.0 when there are no closed trades", () => {
    const outPath = join(dir, "empty.json");
    const s = runCalibration({ conn, outPath, nowMs: NOW }, policy);
    const file = JSON.parse(readFileSync(outPath, "utf8")) as Record<string, unknown>;
    expect(file).toMatchObject({ trades_analyzed: 0, position_size_multiplier: 1, placeholder: true });
    expect(s.recommendations[0]).toMatch(/No closed paper trades yet/);
  });

  it("rejects a database without paper_trades with InputDataError naming table and path, and records the failure", () => {
    conn.sqlite.exec("DROP TABLE paper_trades");
    expect(() => runCalibration({ conn, outPath: join(dir, "x.json"), nowMs: NOW }, policy)).toThrow(InputDataError);
    expect(() => runCalibration({ conn, outPath: join(dir, "x.json"), nowMs: NOW }, policy)).toThrow(`paper_trades table missing in ${conn.path}`);
    expect(runs()[0]).toMatchObject({ success: 0, error_msg: `paper_trades table missing in ${conn.path}` });
    expect(existsSync(join(dir, "x.json"))).toBe(false);
    expect(latestCalibrationRun(conn)).toBeNull();
    expect(latestCalibrationRun(conn, { includeFailed: true })).toMatchObject({ success: false });
  });

  it("answers a bot table lacking a column with table.column and the path, not SQLite's words, and records the failure", () => {
    // An older bot schema: paper_trades without opened_ts_ms, ticks without price.
    const path = join(dir, "old-bot.db");
    const raw = openDatabase(path, { create: true });
    raw.sqlite.exec(`
      CREATE TABLE ticks (ts_ms INTEGER NOT NULL, symbol TEXT NOT NULL, size REAL);
      CREATE TABLE paper_trades (id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, side TEXT NOT NULL, strategy TEXT, status TEXT NOT NULL,
        closed_ts_ms INTEGER, entry_price REAL, exit_price REAL, signal_entry_price REAL, signal_exit_price REAL, qty REAL, fees REAL, pnl REAL, pnl_pct REAL);
      INSERT INTO paper_trades (symbol, side, status, closed_ts_ms, pnl_pct) VALUES ('BTC', 'long', 'closed', ${T0}, 0.5);`);
    raw.close();
    const old = openMigrated(path);
    try {
      const out = join(dir, "old.json");
      const err = (() => {
        try {
          runCalibration({ conn: old, outPath: out, nowMs: NOW }, policy);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(InputDataError);
      expect((err as InputDataError).retryable).toBe(false);
      expect((err as Error).message).toBe(`paper_trades.opened_ts_ms column missing in ${old.path}`);
      expect(latestCalibrationRun(old, { includeFailed: true })).toMatchObject({ success: false, errorMsg: `paper_trades.opened_ts_ms column missing in ${old.path}` });
      expect(existsSync(out)).toBe(false);
    } finally {
      old.close();
    }
  });

  it("fails with OutputError naming the path when the output directory is not writable, leaving the old file", () => {
    insertTrade({ id: 1 });
    const outDir = join(dir, "ro");
    mkdirSync(outDir);
    const outPath = join(outDir, "execution_calibration.json");
    writeFileSync(outPath, '{"avg_slippage_per_side_pct":0.05,"position_size_multiplier":0.9}');
    const unlock = lockDir(outDir);
    if (unlock === null) return; // neither chmod nor chattr can lock a directory here
    try {
      expect(() => runCalibration({ conn, outPath, nowMs: NOW }, policy)).toThrow(OutputError);
      expect(() => runCalibration({ conn, outPath, nowMs: NOW }, policy)).toThrow(`cannot write ${outPath}`);
    } finally {
      unlock();
    }
    expect(readFileSync(outPath, "utf8")).toBe('{"avg_slippage_per_side_pct":0.05,"position_size_multiplier":0.9}');
    expect(readdirSync(outDir)).toEqual(["execution_calibration.json"]);
    expect(runs()[0]).toMatchObject({ success: 0, error_msg: expect.stringContaining(outPath) as string });
  });

  it("fails with OutputError when the output directory is a file", () => {
    writeFileSync(join(dir, "not-a-dir"), "x");
    expect(() => runCalibration({ conn, outPath: join(dir, "not-a-dir", "c.json"), nowMs: NOW }, policy)).toThrow(/cannot create directory .*not-a-dir/);
    expect(runs()[0]?.success).toBe(0);
  });

  it("stops with AbortedError when the job's signal has fired, and records the failure", () => {
    const ac = new AbortController();
    ac.abort(new Error("calibrate timed out after 1800000 ms"));
    expect(() => runCalibration({ conn, outPath: join(dir, "a.json"), signal: ac.signal, nowMs: NOW }, policy)).toThrow(AbortedError);
    expect(runs()[0]).toMatchObject({ success: 0, error_msg: "calibrate timed out after 1800000 ms" });
    expect(existsSync(join(dir, "a.json"))).toBe(false);
  });

  it("skips junk stored by the bot instead of failing", () => {
    insertTrade({ id: 1, opened_ts_ms: T0 + 50 * MIN, closed_ts_ms: T0 + 40 * MIN });
    insertTrade({ id: 2, entry_price: "n/a", signal_exit_price: 0 });
    insertTrade({ id: 3 });
    insertTrade({ id: 4, side: "flat" });
    const s = runCalibration({ conn, outPath: join(dir, "j.json"), nowMs: NOW }, policy);
    expect(s.tradesAnalyzed).toBe(1);
    expect(s.skipped).toMatchObject({ closed_before_open: 1, no_usable_side: 1, invalid_side: 1 });
  });
});

describe("latestCalibrationRun", () => {
  const insertRun = (tsMs: number, payload: string | null, success = 1) =>
    conn.sqlite
      .prepare("INSERT INTO calibration_runs (ts_ms, ts_iso, trades_analyzed, payload, success) VALUES (?, ?, 7, ?, ?)")
      .run(tsMs, new Date(tsMs).toISOString(), payload, success);

  it("returns null without runs or without the table", () => {
    expect(latestCalibrationRun(conn)).toBeNull();
    conn.sqlite.exec("DROP TABLE calibration_runs");
    expect(latestCalibrationRun(conn, { includeFailed: true })).toBeNull();
  });

  it("keeps an older payload that is not a v2 file as rawPayload, with payload null", () => {
    insertRun(T0, JSON.stringify({ avg_slippage_per_side_pct: 0.05, time_of_day: { "00-06": 0.04 } }));
    const r = latestCalibrationRun(conn);
    expect(r).toMatchObject({ tradesAnalyzed: 7, payload: null, payloadError: null, rawPayload: { avg_slippage_per_side_pct: 0.05 } });
  });

  it("says why a payload that is not JSON could not be read", () => {
    insertRun(T0, "{oops");
    const r = latestCalibrationRun(conn);
    expect(r).toMatchObject({ payload: null, rawPayload: null });
    expect(r?.payloadError).toMatch(/JSON/);
  });

  it("picks the newest run by time, failed ones only with includeFailed", () => {
    insertRun(T0, null);
    insertRun(T0 + MIN, null, 0);
    expect(latestCalibrationRun(conn)?.tsMs).toBe(T0);
    expect(latestCalibrationRun(conn, { includeFailed: true })).toMatchObject({ tsMs: T0 + MIN, success: false, payloadError: null });
  });
});
