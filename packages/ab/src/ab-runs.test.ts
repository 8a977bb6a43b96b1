import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputDataError } from "@mlq/core";
import { openMigrated, type Connection } from "@mlq/db";
import { getAbRun, listAbRuns } from "./ab-runs.js";

let dir: string;
let conn: Connection;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-ab-runs-"));
  conn = openMigrated(join(dir, "bot.db"), { create: true });
});
afterEach(() => {
  conn.close();
  rmSync(dir, { recursive: true, force: true });
});

function insertRun(tsMs: number, fields: Record<string, unknown> = {}): number {
  const row: Record<string, unknown> = { ts_ms: tsMs, ts_iso: new Date(tsMs).toISOString(), arm_a_label: "v1_backtest", arm_b_label: "v2_paper", ...fields };
  const cols = Object.keys(row);
  return Number(
    conn.sqlite.prepare(`INSERT INTO ab_test_runs (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`).run(...Object.values(row)).lastInsertRowid,
  );
}

describe("listAbRuns", () => {
  it("returns the newest runs first, each arm's stored figures side by side", () => {
    insertRun(1000, { job_id: "j1", decision_reason: "not ready" });
    insertRun(2000, {
      split_method: "temporal",
      arm_a_trades: 120,
      arm_b_trades: 110,
      arm_a_sharpe: 0.05,
      arm_b_sharpe: 0.09,
      arm_a_expectancy: 0.01,
      arm_b_expectancy: 0.02,
      arm_a_win_rate: 0.5,
      arm_b_win_rate: 0.55,
      arm_a_pf: 1.1,
      arm_b_pf: null,
      p_b_better: 0.95,
      swap_recommended: 1,
      swap_executed: 1,
      action: "force-swap",
    });
    insertRun(3000, { dry_run: 1, success: 0, error_msg: "paper_trades table missing in /x.db", decision_reason: "FAILED: paper_trades table missing in /x.db" });
    const runs = listAbRuns(conn, { limit: 2 });
    expect(runs.map((r) => r.id)).toEqual([3, 2]);
    expect(runs[0]).toMatchObject({ dryRun: true, success: false, errorMsg: "paper_trades table missing in /x.db", swapExecuted: false, splitMethod: null });
    expect(runs[1]).toEqual({
      id: 2,
      tsMs: 2000,
      tsIso: "1970-01-01T00:00:02.000Z",
      jobId: null,
      action: "force-swap",
      dryRun: false,
      splitMethod: "temporal",
      a: { label: "v1_backtest", trades: 120, sharpe: 0.05, expectancy: 0.01, winRate: 0.5, profitFactor: 1.1 },
      b: { label: "v2_paper", trades: 110, sharpe: 0.09, expectancy: 0.02, winRate: 0.55, profitFactor: null },
      pBBetter: 0.95,
      swapRecommended: true,
      swapExecuted: true,
      decisionReason: null,
      success: true,
      errorMsg: null,
    });
    expect(listAbRuns(conn).map((r) => r.id)).toEqual([3, 2, 1]);
    expect(listAbRuns(conn, { limit: 0 })).toEqual([]);
  });

  it("names the table and the database when ab_test_runs is missing", () => {
    conn.sqlite.exec("DROP TABLE ab_test_runs");
    expect(() => listAbRuns(conn)).toThrow(InputDataError);
    expect(() => listAbRuns(conn)).toThrow(`ab_test_runs table missing in ${conn.path}`);
  });
});

describe("getAbRun", () => {
  it("finds a run by id, or null", () => {
    const id = insertRun(1000, { decision_reason: "why" });
    expect(getAbRun(conn, id)).toMatchObject({ id, decisionReason: "why", action: "evaluate", success: true });
    expect(getAbRun(conn, id + 1)).toBeNull();
  });
});
