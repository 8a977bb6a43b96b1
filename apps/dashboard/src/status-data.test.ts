import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { openDatabase } from "@mlq/db";
import { createFixture, T0, writeActiveModelJson, type Fixture } from "./fixtures.test-util.js";
import { readActiveModelFile, readStatus } from "./status-data.js";

let fixture: Fixture | undefined;
afterEach(() => fixture?.cleanup());

describe("readStatus", () => {
  it("reads the active arm, the swap that made it active, runs, gates, A/B and calibration", () => {
    fixture = createFixture();
    const r = readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, now: () => T0 });
    expect(r.problems).toEqual([]);
    expect(r.active).toMatchObject({ arm: "v2_paper", swapRunId: 2, lastSwap: { runId: 2, decisionReason: "Sharpe_B 0.09 >= Sharpe_A 0.05 with P=0.95", pBBetter: 0.95 } });
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
    expect(r.abRuns.map((a) => [a.id, a.swapExecuted, a.b.sharpe])).toEqual([
      [2, true, 0.09],
      [1, false, 0.04],
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
