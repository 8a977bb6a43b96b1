import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputDataError } from "@mlq/core";
import { openMigrated, type Connection } from "@mlq/db";
import { getAbRun, listAbRuns, priorLooks } from "./ab-runs.js";

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
      armAVersion: null,
      armBVersion: null,
      outcome: null,
      look: null,
      conditions: [],
    });
    expect(listAbRuns(conn).map((r) => r.id)).toEqual([3, 2, 1]);
    expect(listAbRuns(conn, { limit: 0 })).toEqual([]);
  });

  it("reads the promotion loop's columns: the versions compared, the look and the decision table", () => {
    const conditions = [
      { name: "trades_a", value: 300, threshold: 100, passed: true, text: "arm A has 300 of 100 trades" },
      { name: "sequential_boundary", value: 2.1, threshold: 3.74955, passed: false, text: "z 2.100 < boundary 3.750" },
    ];
    insertRun(1000, {
      arm_a_version: "12",
      arm_b_version: "14",
      evaluation_start_ms: 500,
      look_index: 1,
      info_fraction: 0.25,
      n_max_per_arm: 1200,
      alpha_k: 0.05,
      boundary_z: 3.74955,
      z_stat: 2.1,
      conditions: JSON.stringify(conditions),
      outcome: "continue",
    });
    // A run that took no look (not ready), and one whose decision table is not valid JSON.
    insertRun(2000, { arm_a_version: "12", arm_b_version: "14", alpha_k: 0.05, conditions: "[]", outcome: "continue" });
    insertRun(3000, { conditions: '[{"name":', outcome: "failed", success: 0 });
    const [broken, noLook, look] = listAbRuns(conn);
    expect(look).toMatchObject({
      armAVersion: "12",
      armBVersion: "14",
      outcome: "continue",
      look: { index: 1, informationFraction: 0.25, nMaxPerArm: 1200, alphaK: 0.05, boundary: 3.74955, z: 2.1 },
      conditions,
    });
    expect(noLook).toMatchObject({ look: null, conditions: [], outcome: "continue" });
    expect(broken).toMatchObject({ conditions: [], outcome: "failed", success: false });
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

describe("priorLooks", () => {
  it("returns the looks of one evaluation in order, leaving out dry runs, failed runs, other evaluations and runs without a look", () => {
    const ev = { arm_a_version: "1", arm_b_version: "2", evaluation_start_ms: 500 };
    insertRun(1000, { ...ev, look_index: 1, info_fraction: 0.2, n_max_per_arm: 900 });
    insertRun(1500, { ...ev, look_index: 2, info_fraction: 0.3, dry_run: 1 }); // a dry run records no look, but if one did
    insertRun(1600, { ...ev, look_index: 2, info_fraction: 0.3, success: 0 });
    insertRun(1700, { ...ev, evaluation_start_ms: 400, look_index: 2, info_fraction: 0.3 }); // an earlier evaluation of the same pair
    insertRun(1800, { ...ev, arm_a_version: "3", look_index: 2, info_fraction: 0.3 }); // another champion
    insertRun(1900, { ...ev }); // not ready: no look
    insertRun(2000, { ...ev, look_index: 2, info_fraction: 0.45, n_max_per_arm: 900 });
    expect(priorLooks(conn, { champion: "1", challenger: "2", startMs: 500 })).toEqual([
      { lookIndex: 1, informationFraction: 0.2, nMaxPerArm: 900 },
      { lookIndex: 2, informationFraction: 0.45, nMaxPerArm: 900 },
    ]);
    expect(priorLooks(conn, { champion: "2", challenger: "1", startMs: 500 })).toEqual([]);
  });

  it("names the table and the database when ab_test_runs is missing", () => {
    conn.sqlite.exec("DROP TABLE ab_test_runs");
    expect(() => priorLooks(conn, { champion: "1", challenger: "2", startMs: 0 })).toThrow(`ab_test_runs table missing in ${conn.path}`);
  });
});
