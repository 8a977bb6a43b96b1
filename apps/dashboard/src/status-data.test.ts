import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { DEFAULT_SWAP_POLICY, evaluateArms } from "@mlq/ab";
import { openDatabase } from "@mlq/db";
import { createFixture, T0, writeActiveModelJson, type Fixture } from "./fixtures.test-util.js";
import { readActiveModelFile, readStatus } from "./status-data.js";

const DAY = 86_400_000;
/** The fixture's newest successful retrain (run 3). */
const RETRAIN_TS = T0 + 2 * DAY;

let fixture: Fixture | undefined;
afterEach(() => fixture?.cleanup());

describe("readStatus", () => {
  it("reads the active arm, the swap that made it active, runs, gates, A/B and calibration", () => {
    fixture = createFixture();
    const r = readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, now: () => T0 });
    expect(r.problems).toEqual([]);
    expect(r.active).toMatchObject({ arm: "v2_paper", swapRunId: 2, swapRun: { id: 2, decisionReason: "Sharpe_B 0.09 >= Sharpe_A 0.05 with P=0.95", pBBetter: 0.95 } });
    expect(r.retrainRuns.map((x) => [x.id, x.success, x.triggerReason])).toEqual([
      [3, true, "force"],
      [2, false, "scheduled"],
      [1, true, "scheduled"],
    ]);
    expect(r.retrainRuns[1]!.gates.find((g) => g.name === "trade_count")).toEqual({ name: "trade_count", passed: false, value: 60, threshold: 75, details: null });
    expect(r.retrainRuns[0]!.metrics).toMatchObject({ direction: { auc: 0.61 } });
    expect(r.retrainRuns[0]!.gates.find((g) => g.name === "regime_diversity")!.symbols!.map((s) => [s.symbol, s.passed, s.historyLo])).toEqual([
      ["BTC-USDT", true, 23.92],
      ["ETH-USDT", false, 30.1],
    ]);
    expect(r.retrainRuns[1]!.gates.find((g) => g.name === "regime_diversity")).not.toHaveProperty("symbols");
    expect(r.gateHistory.paper_age!.map((p) => p.value)).toEqual([14, 15, 16]);
    expect(r.abRuns.map((a) => [a.id, a.swapExecuted, a.b.sharpe, a.a.label])).toEqual([
      [2, true, 0.09, "v1_backtest"],
      [1, false, 0.04, "v1_backtest"],
    ]);
    expect(r.calibration).toMatchObject({ tradesAnalyzed: 100, positionSizeMultiplier: 1.2, payloadError: null });
    expect(r.activeModelFile.state).toBe("missing");
  });

  it("splits untagged trades at the last successful retrain (run 3 at T0+2d)", () => {
    fixture = createFixture({ tradesPerArm: 10 });
    const r = readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir });
    // 20 trades from T0-10d every 0.7 d: those closing before T0+2d (i <= 17) are arm A.
    expect(r.equity).toMatchObject({ method: "temporal", tradesA: 18, tradesB: 2, boundaryTsMs: T0 + 2 * 86_400_000 });
  });

  it("splits by model_arm when trades carry it", () => {
    fixture = createFixture({ tradesPerArm: 7, tagged: true });
    const r = readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir });
    expect(r.equity).toMatchObject({ method: "model_arm", tradesA: 7, tradesB: 7 });
  });

  // The equity chart once had its own split (`<` at the boundary, any non-empty model_arm);
  // these datasets are where that split and the A/B decision's disagreed.
  it.each([
    ["a trade closed exactly at the last successful retrain is arm A", [[-1, 0.5, null], [0, 1, null], [1, 2, null]], { method: "temporal", tradesA: 2, tradesB: 1, a: 1.5, b: 2 }],
    ["model_arm values that are not arm labels leave the split temporal", [[-1, 0.5, "v3_shadow"], [1, 2, "v3_shadow"], [2, 1, ""]], { method: "temporal", tradesA: 1, tradesB: 2, a: 0.5, b: 3 }],
  ] as const)("draws the arms the A/B decision measures: %s", (_name, trades, expected) => {
    fixture = createFixture({ tradesPerArm: 0 });
    const conn = openDatabase(fixture.dbPath);
    const insert = conn.sqlite.prepare("INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct, model_arm) VALUES ('BTC', 'long', 'closed', ?, ?, ?, ?)");
    for (const [hours, pnl, arm] of trades) insert.run(RETRAIN_TS - DAY, RETRAIN_TS + hours * 3_600_000, pnl, arm);
    const decision = evaluateArms(conn, DEFAULT_SWAP_POLICY);
    conn.close();

    const r = readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir });
    expect(r.problems).toEqual([]);
    expect(r.equity).toMatchObject({ method: expected.method, tradesA: expected.tradesA, tradesB: expected.tradesB, boundaryTsMs: RETRAIN_TS });
    expect(r.equity.armA.at(-1)).toEqual([expected.tradesA, expected.a]);
    expect(r.equity.armB.at(-1)).toEqual([expected.tradesB, expected.b]);
    expect([r.equity.method, r.equity.tradesA, r.equity.tradesB]).toEqual([decision.splitMethod, decision.a.trades, decision.b.trades]);
  });

  it("keeps each arm's most recent tradeLimit points, numbered within the arm and summed from its first trade", () => {
    fixture = createFixture({ tradesPerArm: 7, tagged: true });
    const full = readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir });
    const r = readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, tradeLimit: 3 });
    expect(r.equity.armA).toEqual(full.equity.armA.slice(-3));
    expect(r.equity.armA.map(([n]) => n)).toEqual([5, 6, 7]);
    expect(r.equity.tradesA).toBe(7);
    expect(readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, tradeLimit: 0 }).equity).toMatchObject({ method: "none", armA: [], armB: [] });
  });

  it("reports a missing database instead of throwing", () => {
    const r = readStatus({ dbPath: "/nonexistent/dir/trading.db", modelsDir: "/nonexistent/models" });
    expect(r.problems).toEqual(["database directory does not exist: /nonexistent/dir (for /nonexistent/dir/trading.db)"]);
    expect(r.retrainRuns).toEqual([]);
  });

  it("reports each missing table of an unmigrated database", () => {
    fixture = createFixture();
    const bare = join(fixture.dir, "bare.db");
    openDatabase(bare, { create: true }).close();
    const r = readStatus({ dbPath: bare, modelsDir: fixture.modelsDir });
    expect(r.problems).toContain(`ab_active_model table missing in ${bare}`);
    expect(r.problems).toContain(`paper_trades table missing in ${bare}`);
  });

  it("reports a tampered active_model.json and a corrupt calibration payload", () => {
    fixture = createFixture();
    writeActiveModelJson(fixture, '{"active_arm": "v2_pa');
    const conn = openDatabase(fixture.dbPath);
    conn.sqlite.prepare("UPDATE calibration_runs SET payload = '{oops'").run();
    conn.close();
    const r = readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir });
    expect(r.problems[0]).toMatch(/^active_model\.json is unreadable: /);
    expect(r.problems.some((p) => p.startsWith("calibration run 1 payload is not valid JSON"))).toBe(true);
    expect(r.active?.arm).toBe("v2_paper");
  });
});

describe("readActiveModelFile", () => {
  it.each([
    ['{"active_arm":"v2_paper"}', "ok"],
    ["[1,2]", "unreadable"],
    ["", "unreadable"],
  ])("%j -> %s", (text, state) => {
    fixture = createFixture({ tradesPerArm: 1 });
    writeActiveModelJson(fixture, text);
    expect(readActiveModelFile(fixture.modelsDir).state).toBe(state);
  });
});
