import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DAY_MS, InputDataError, MINUTE_MS } from "@mlq/core";
import { openMigrated, type Connection } from "@mlq/db";
import { loadConfig } from "@mlq/config";
import { evaluateGates, gatePolicy, type GateResult } from "@mlq/gates";
import { gateHistory, gateLogByRun, loadGateSnapshot, writeGateLog } from "./gate-store.js";

let dir: string;
let conn: Connection;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-gates-"));
  conn = openMigrated(join(dir, "g.db"), { create: true });
});
afterEach(() => {
  conn.close();
  rmSync(dir, { recursive: true, force: true });
});

const DAY0 = Date.UTC(2026, 0, 1);

function trade(id: number, status: "open" | "closed", openedTsMs: number, closedTsMs: number | null): void {
  conn.sqlite
    .prepare("INSERT INTO paper_trades (id, symbol, side, status, opened_ts_ms, closed_ts_ms) VALUES (?, 'BTC', 'long', ?, ?, ?)")
    .run(id, status, openedTsMs, closedTsMs);
}

/** `minutes` consecutive 1-minute candles from `startMs`, closes alternating base, base·1.01. */
function candles(symbol: string, startMs: number, minutes: number, base = 100): void {
  const stmt = conn.sqlite.prepare(
    "INSERT INTO candles_1m (symbol, bucket_ts_ms, open, high, low, close, ticks, volume) VALUES (?, ?, ?, ?, ?, ?, 1, 0)",
  );
  for (let i = 0; i < minutes; i++) {
    const c = i % 2 === 0 ? base : base * 1.01;
    stmt.run(symbol, startMs + i * MINUTE_MS, c, c, c, c);
  }
}

describe("loadGateSnapshot", () => {
  it("reads first trade, closed count and daily vols as of now", () => {
    const now = DAY0 + 3 * DAY_MS;
    trade(1, "closed", DAY0 + 6 * 3_600_000, DAY0 + DAY_MS);
    trade(2, "open", DAY0 + 2 * DAY_MS, null);
    trade(3, "closed", DAY0 + 2 * DAY_MS, DAY0 + 2 * DAY_MS + 1);
    trade(4, "closed", DAY0 + 5 * DAY_MS, DAY0 + 6 * DAY_MS); // after now: ignored
    candles("BTC", DAY0, 61); // 60 returns on day 0
    candles("ETH", DAY0 + DAY_MS, 3); // 2 returns on day 1
    candles("ETH", now, 10); // at/after now: ignored
    const s = loadGateSnapshot(conn, now);
    expect(s).toMatchObject({ nowMs: now, firstPaperTradeTsMs: DAY0 + 6 * 3_600_000, paperStartDayMs: DAY0, closedTrades: 2 });
    expect(s.dailyVols.map((v) => [v.symbol, v.dayMs, v.returns])).toEqual([
      ["BTC", DAY0, 60],
      ["ETH", DAY0 + DAY_MS, 2],
    ]);
    // 60 returns alternating ±a: mean 0, std = a·√(60/59)
    expect(s.dailyVols[0]!.vol).toBeCloseTo(Math.log(1.01) * Math.sqrt(60 / 59) * Math.sqrt(525_600) * 100, 9);
  });

  it("gives an empty snapshot for a database without trades or candles", () => {
    expect(loadGateSnapshot(conn, DAY0)).toEqual({
      nowMs: DAY0,
      firstPaperTradeTsMs: null,
      paperStartDayMs: null,
      closedTrades: 0,
      dailyVols: [],
    });
  });

  it("names the table and path when paper_trades is missing", () => {
    conn.sqlite.exec("DROP TABLE paper_trades");
    expect(() => loadGateSnapshot(conn, DAY0)).toThrow(InputDataError);
    expect(() => loadGateSnapshot(conn, DAY0)).toThrow(/paper_trades table missing in .*g\.db/);
  });

  it("names paper_trades.opened_ts_ms and the path when the bot's table lacks it", () => {
    conn.sqlite.exec("ALTER TABLE paper_trades DROP COLUMN opened_ts_ms");
    expect(() => loadGateSnapshot(conn, DAY0)).toThrow(InputDataError);
    expect(() => loadGateSnapshot(conn, DAY0)).toThrow(/^paper_trades\.opened_ts_ms column missing in .*g\.db$/);
  });
});

function runRow(tsMs = 1): number {
  return Number(
    conn.sqlite.prepare("INSERT INTO phase2_retrain_runs (ts_ms, ts_iso, trigger_reason) VALUES (?, 'x', 'scheduled')").run(tsMs)
      .lastInsertRowid,
  );
}

const gate = (name: GateResult["name"], passed: boolean, value: number | null, details = ""): GateResult => ({
  name,
  passed,
  value,
  threshold: 1,
  details,
});

describe("gateLogByRun", () => {
  it("returns each run's gates in log order, typed, and leaves out runs without rows", () => {
    const [r1, r2, r3] = [runRow(), runRow(), runRow()];
    writeGateLog(conn, r1, [gate("paper_age", true, 15, "15 days"), gate("trade_count", false, null)], DAY0);
    writeGateLog(conn, r2, [gate("regime_diversity", true, 1, "band")], DAY0 + 1);
    const byRun = gateLogByRun(conn, [r1, r2, r3]);
    expect([...byRun.keys()].sort()).toEqual([r1, r2]);
    expect(byRun.get(r1)).toEqual([
      { name: "paper_age", passed: true, value: 15, threshold: 1, details: "15 days" },
      { name: "trade_count", passed: false, value: null, threshold: 1, details: "" },
    ]);
    expect(byRun.get(r2)).toEqual([{ name: "regime_diversity", passed: true, value: 1, threshold: 1, details: "band" }]);
    expect(gateLogByRun(conn, []).size).toBe(0);
  });
});

describe("gateHistory", () => {
  it("keeps the latest `limit` points per gate name, oldest first", () => {
    for (let i = 0; i < 5; i++) {
      const run = runRow(DAY0 + i);
      writeGateLog(conn, run, [gate("paper_age", i >= 2, i), gate("trade_count", true, 10 * i)], DAY0 + i * DAY_MS);
    }
    writeGateLog(conn, null, [gate("regime_diversity", false, 0.5)], DAY0);
    const h = gateHistory(conn, { limit: 3 });
    expect(Object.keys(h).sort()).toEqual(["paper_age", "regime_diversity", "trade_count"]);
    expect(h.paper_age!.map((p) => [p.tsMs, p.value, p.passed])).toEqual([
      [DAY0 + 2 * DAY_MS, 2, true],
      [DAY0 + 3 * DAY_MS, 3, true],
      [DAY0 + 4 * DAY_MS, 4, true],
    ]);
    expect(h.trade_count!.map((p) => p.value)).toEqual([20, 30, 40]);
    expect(h.regime_diversity).toEqual([{ tsMs: DAY0, runId: null, passed: false, value: 0.5, threshold: 1 }]);
  });

  it("is empty before any gate was logged, and names a missing table", () => {
    expect(gateHistory(conn, { limit: 10 })).toEqual({});
    conn.sqlite.exec("DROP TABLE phase2_gate_log");
    expect(() => gateHistory(conn, { limit: 10 })).toThrow(/^phase2_gate_log table missing in .*g\.db$/);
  });
});

describe("writeGateLog", () => {
  it("writes one row per gate under the run id, nulls for undefined values", () => {
    const runId = runRow();
    // The default thresholds: 14 paper days, 75 closed trades.
    const results = evaluateGates(loadGateSnapshot(conn, DAY0), gatePolicy(loadConfig({}).gates));
    expect(writeGateLog(conn, runId, results, DAY0)).toBe(3);
    const rows = conn.sqlite
      .prepare("SELECT run_id, ts_ms, ts_iso, gate_name, passed, value, threshold FROM phase2_gate_log ORDER BY id")
      .raw(true)
      .all();
    expect(rows).toEqual([
      [runId, DAY0, "2026-01-01T00:00:00.000Z", "paper_age", 0, null, 14],
      [runId, DAY0, "2026-01-01T00:00:00.000Z", "trade_count", 0, 0, 75],
      [runId, DAY0, "2026-01-01T00:00:00.000Z", "regime_diversity", 0, null, 1],
    ]);
  });

  it("rejects an unknown run id through the foreign key, writing nothing", () => {
    const bad = [{ name: "paper_age" as const, passed: true, value: 1, threshold: 1, details: "" }];
    expect(() => writeGateLog(conn, 999, bad, DAY0)).toThrow(/FOREIGN KEY/);
    expect(conn.sqlite.prepare("SELECT count(*) FROM phase2_gate_log").pluck().get()).toBe(0);
  });
});
