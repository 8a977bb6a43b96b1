import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, openMigrated, type Connection } from "@mlq/db";
import { latestCalibrationRun } from "./run-calibration.js";

let dir: string;
let conn: Connection | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-latest-cal-"));
});
afterEach(() => {
  conn?.close();
  conn = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function insert(c: Connection, tsMs: number, trades: number, ema: number | null, success: number): void {
  c.sqlite
    .prepare(
      `INSERT INTO calibration_runs (ts_ms, ts_iso, trades_analyzed, ema_slippage_per_side_pct, success) VALUES (?, ?, ?, ?, ?)`,
    )
    .run(tsMs, new Date(tsMs).toISOString(), trades, ema, success);
}

describe("latestCalibrationRun", () => {
  it("returns the newest successful run and skips failed ones", () => {
    conn = openMigrated(join(dir, "db.sqlite"), { create: true });
    insert(conn, 1_000, 120, 0.04, 1);
    insert(conn, 3_000, 250, 0.05, 1);
    insert(conn, 5_000, 0, null, 0);
    insert(conn, 2_000, 300, 0.06, 1);
    expect(latestCalibrationRun(conn)).toMatchObject({ tsMs: 3_000, tradesAnalyzed: 250, emaSlippagePerSidePct: 0.05 });
  });

  it("returns null on an empty table and on a database without the table", () => {
    conn = openMigrated(join(dir, "db.sqlite"), { create: true });
    expect(latestCalibrationRun(conn)).toBeNull();
    conn.close();
    conn = openDatabase(join(dir, "bare.sqlite"), { create: true });
    expect(latestCalibrationRun(conn)).toBeNull();
  });
});
