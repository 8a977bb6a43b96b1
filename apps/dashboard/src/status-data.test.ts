import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { DAY_MS, isoUtc } from "@mlq/core";
import { DEFAULT_AB_POLICY, evaluateArms, runAbEvaluation } from "@mlq/ab";
import { openDatabase, openMigrated, type Connection } from "@mlq/db";
import { registerAndOffer, saveModelSet } from "@mlq/registry";
import { createFixture, T0, writeActiveModelJson, type Fixture } from "./fixtures.test-util.js";
import { createPromotionFixture, NOW, type PromotionFixture } from "./promotion-fixture.test-util.js";
import { HIDDEN_PATH, redactPaths } from "./redact-paths.js";
import { readActiveModelFile, readStatus } from "./status-data.js";

let fixture: Fixture | undefined;
afterEach(() => fixture?.cleanup());

/** Registers versions (real version dirs) into a fixture's database at the given times. */
function registerRoles(f: Fixture, versions: [string, number][]): void {
  const conn = openMigrated(f.dbPath);
  try {
    for (const [v, ts] of versions) {
      saveModelSet(f.modelsDir, v, {
        models: [{ name: "direction", bytes: Uint8Array.from([Number(v), 9]) }],
        manifest: { featureNames: [], params: {}, dataWindow: {}, metrics: {} },
      });
      registerAndOffer(conn, f.modelsDir, {
        version: v,
        runId: null,
        trigger: "scheduled",
        nowMs: ts,
        policy: { alpha: 0.05, budget: 0.25 },
      });
    }
  } finally {
    conn.close();
  }
}

function withConn<T>(f: Fixture, fn: (conn: Connection) => T): T {
  const conn = openDatabase(f.dbPath);
  try {
    return fn(conn);
  } finally {
    conn.close();
  }
}

describe("readStatus", () => {
  it("reads the active arm, the swap that made it active, runs, gates, A/B and calibration", () => {
    fixture = createFixture();
    const r = readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, now: () => T0 });
    expect(r.problems).toEqual([]);
    expect(r.active).toMatchObject({
      arm: "v2_paper",
      swapRunId: 2,
      swapRun: { id: 2, decisionReason: "Sharpe_B 0.09 >= Sharpe_A 0.05 with P=0.95", pBBetter: 0.95 },
    });
    expect(r.retrainRuns.map((x) => [x.id, x.success, x.triggerReason])).toEqual([
      [3, true, "force"],
      [2, false, "scheduled"],
      [1, true, "scheduled"],
    ]);
    expect(r.retrainRuns[1]!.gates.find((g) => g.name === "trade_count")).toEqual({
      name: "trade_count",
      passed: false,
      value: 60,
      threshold: 75,
      details: null,
    });
    expect(r.retrainRuns[0]!.metrics).toMatchObject({ direction: { auc: 0.61 } });
    expect(
      r.retrainRuns[0]!.gates.find((g) => g.name === "regime_diversity")!.symbols!.map((s) => [s.symbol, s.passed, s.historyLo]),
    ).toEqual([
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
    // An install whose role history is not seeded yet: no roles, nothing evaluated.
    expect(r.promotion).toMatchObject({
      champion: null,
      challenger: null,
      candidates: [],
      evaluation: null,
      events: [],
      lastDecision: null,
    });
    expect(r.equity).toMatchObject({ method: "none", tradesA: 0, tradesB: 0 });
  });

  it("attributes untagged trades in time around the challenger's slot: B since it, A the same length before it", () => {
    // 20 trades closing every 0.7 d from T0 − 10 d, each opened a minute before it closes.
    fixture = createFixture({ tradesPerArm: 10 });
    registerRoles(fixture, [
      ["1", T0 - 30 * DAY_MS],
      ["2", T0 - 3 * DAY_MS],
    ]);
    const now = T0 + 4 * DAY_MS;
    const r = readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, now: () => now });
    expect(r.problems).toEqual([]);
    // B: opened in [T0 − 3 d, now] → trades 11..19 (trade 10 closes at T0 − 3 d, so it opened a minute before).
    // A: opened in [T0 − 10 d, T0 − 3 d) → trades 1..10 (trade 0 opened a minute before T0 − 10 d).
    expect(r.equity).toMatchObject({ method: "temporal", champion: "1", challenger: "2", tradesA: 10, tradesB: 9 });
    const ev = withConn(fixture, (conn) => evaluateArms(conn, DEFAULT_AB_POLICY, { nowMs: now }));
    expect([r.equity.tradesA, r.equity.tradesB]).toEqual([ev.a.trades, ev.b.trades]);
    expect(r.equity.armA.at(-1)![1]).toBeCloseTo(ev.a.expectancy! * ev.a.trades, 12);
  });

  // The equity chart once had its own split; these datasets are where a separate split and the
  // A/B decision's attribution could disagree.
  it.each([
    [
      "opened exactly at the slot is B, exactly at the window's start is A, a millisecond earlier is neither",
      [
        [0, 2, null],
        [-1, 0.5, null],
        [-DAY_MS, 1, null],
        [-DAY_MS - 1, 7, null],
      ],
      { method: "temporal", tradesA: 2, tradesB: 1, a: 1.5, b: 2 },
    ],
    [
      "model_arm values that are not arm labels leave the attribution temporal",
      [
        [-1, 0.5, "v3_shadow"],
        [1, 2, "v3_shadow"],
        [2, 1, ""],
      ],
      { method: "temporal", tradesA: 1, tradesB: 2, a: 0.5, b: 3 },
    ],
    [
      "a v2_paper tag opened before the challenger took the slot belongs to nobody",
      [
        [-1, 0.5, "v2_paper"],
        [1, 2, "v2_paper"],
        [2, 1, "v1_backtest"],
      ],
      { method: "model_arm", tradesA: 1, tradesB: 1, a: 1, b: 2 },
    ],
  ] as const)("draws the arms the A/B decision measures: %s", (_name, trades, expected) => {
    fixture = createFixture({ tradesPerArm: 0 });
    const slot = T0;
    const now = T0 + DAY_MS; // the temporal A window is [T0 − 1 d, T0)
    registerRoles(fixture, [
      ["1", T0 - 30 * DAY_MS],
      ["2", slot],
    ]);
    const decision = withConn(fixture, (conn) => {
      const insert = conn.sqlite.prepare(
        "INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct, model_arm) VALUES ('BTC', 'long', 'closed', ?, ?, ?, ?)",
      );
      for (const [offset, pnl, arm] of trades) insert.run(slot + offset, slot + offset + 60_000, pnl, arm);
      return evaluateArms(conn, DEFAULT_AB_POLICY, { nowMs: now });
    });
    const r = readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, now: () => now });
    expect(r.problems).toEqual([]);
    expect(r.equity).toMatchObject({ method: expected.method, tradesA: expected.tradesA, tradesB: expected.tradesB });
    expect(r.equity.armA.at(-1)).toEqual([expected.tradesA, expected.a]);
    expect(r.equity.armB.at(-1)).toEqual([expected.tradesB, expected.b]);
    expect([r.equity.method, r.equity.tradesA, r.equity.tradesB]).toEqual([
      decision.attribution?.method,
      decision.a.trades,
      decision.b.trades,
    ]);
  });

  it("keeps each arm's most recent tradeLimit points, numbered within the arm and summed from its first trade", () => {
    const f = createPromotionFixture();
    fixture = f;
    const full = readStatus({ dbPath: f.dbPath, modelsDir: f.modelsDir, now: () => NOW });
    const r = readStatus({ dbPath: f.dbPath, modelsDir: f.modelsDir, now: () => NOW, tradeLimit: 3 });
    expect(r.equity.armA).toEqual(full.equity.armA.slice(-3));
    expect(r.equity.armA.map(([n]) => n)).toEqual([278, 279, 280]);
    expect(r.equity.tradesA).toBe(280);
    expect(readStatus({ dbPath: f.dbPath, modelsDir: f.modelsDir, tradeLimit: 0 }).equity).toMatchObject({
      method: "none",
      armA: [],
      armB: [],
    });
  });

  it("reports a missing database instead of throwing", () => {
    const r = readStatus({ dbPath: "/nonexistent/dir/trading.db", modelsDir: "/nonexistent/models" });
    expect(r.problems).toEqual(["database directory does not exist: /nonexistent/dir (for /nonexistent/dir/trading.db)"]);
    expect(r.retrainRuns).toEqual([]);
    expect(r.promotion).toBeNull();
  });

  it("reports each missing table of an unmigrated database", () => {
    fixture = createFixture();
    const bare = join(fixture.dir, "bare.db");
    openDatabase(bare, { create: true }).close();
    const r = readStatus({ dbPath: bare, modelsDir: fixture.modelsDir });
    expect(r.problems).toContain(`ab_active_model table missing in ${bare}`);
    expect(r.problems).toContain(`paper_trades table missing in ${bare}`);
    expect(r.problems).toContain(`model_role_events table missing in ${bare}`);
    expect(r.promotion).toBeNull();
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

describe("readStatus: the promotion loop", () => {
  let f: PromotionFixture;
  const read = (extra: Partial<Parameters<typeof readStatus>[0]> = {}) =>
    readStatus({ dbPath: f.dbPath, modelsDir: f.modelsDir, now: () => NOW, ...extra });

  it("shows who holds which role since when, the barred version and the history newest first", () => {
    f = createPromotionFixture();
    fixture = f;
    const r = read();
    expect(r.problems).toEqual([]);
    const p = r.promotion!;
    const { championSince, promotedAt, challengerSince, rolledBackAt } = f.times;
    expect(p.champion).toMatchObject({ version: "1", sinceIso: isoUtc(rolledBackAt), pinned: false });
    expect(p.challenger).toMatchObject({
      version: "3",
      sinceIso: isoUtc(challengerSince),
      alphaK: 0.05,
      expiresIso: isoUtc(rolledBackAt + 60 * DAY_MS),
    });
    expect(p.candidates).toEqual([
      { version: "4", sinceIso: isoUtc(promotedAt + 2 * DAY_MS), trigger: "scheduled" },
      { version: "5", sinceIso: isoUtc(promotedAt + 3 * DAY_MS), trigger: "force" },
    ]);
    expect(p.previousChampion).toBeNull();
    expect(p.v1Backtest).toEqual({ version: "1", sinceIso: isoUtc(championSince) });
    expect(p.barred).toEqual(["2"]);
    expect(p.events.map((e) => `${e.event} ${e.version} ${e.role}`)).toEqual([
      "rollback 1 champion",
      "register 5 candidate",
      "register 4 candidate",
      "take_slot 3 challenger",
      "register 3 candidate",
      "promote 2 champion",
      "take_slot 2 challenger",
      "register 2 candidate",
      "register 1 champion",
    ]);
    expect(p.events[0]).toMatchObject({
      tsIso: isoUtc(rolledBackAt),
      previousVersion: "2",
      trigger: "monitor",
      runId: f.runs.rollback.runId,
      reason: "champion decayed: CUSUM 5.3 ≥ h 5.1",
    });
    expect(p.events.find((e) => e.event === "take_slot" && e.version === "3")).toMatchObject({ alpha: 0.05 });
    expect(p.eventCounts).toEqual({
      seed: 0,
      register: 5,
      take_slot: 2,
      skip: 0,
      promote: 1,
      force_swap: 0,
      reject: 0,
      expire: 0,
      rollback: 1,
      pin: 0,
      unpin: 0,
    });
    // The timeline is bounded; the counts are not.
    const short = read({ roleEventLimit: 2 }).promotion!;
    expect(short.events.map((e) => e.event)).toEqual(["rollback", "register"]);
    expect(short.eventCounts.register).toBe(5);
    expect(read({ roleEventLimit: 0 }).promotion!.events).toEqual([]);
  });

  it("shows where the restarted evaluation stands: the last recorded look and the next one, as the A/B run computes them", () => {
    f = createPromotionFixture();
    fixture = f;
    const p = read().promotion!;
    const look = f.runs.look1v3;
    expect(p.evaluation).toMatchObject({
      startIso: isoUtc(f.times.rolledBackAt),
      expired: false,
      alphaK: 0.05,
      looks: 1,
      nMaxPerArm: look.evaluation.nMaxPerArm,
      lastLook: {
        runId: look.runId,
        tsIso: look.tsIso,
        look: 1,
        informationFraction: look.evaluation.informationFraction,
        boundary: look.evaluation.boundary,
        z: look.evaluation.z,
      },
    });
    // "Now" is exactly what an A/B run at this moment would see (checked with a real dry run).
    const conn = openMigrated(f.dbPath);
    const wouldBe = runAbEvaluation({ conn, modelsDir: f.modelsDir, nowMs: NOW }, { action: "dry-run", policy: DEFAULT_AB_POLICY });
    conn.close();
    expect(p.evaluation!.now).toEqual({
      ready: true,
      method: "model_version",
      look: 2,
      informationFraction: wouldBe.evaluation.informationFraction,
      boundary: wouldBe.evaluation.boundary,
      z: wouldBe.evaluation.z,
    });
    expect(p.champion!.standing).toEqual({
      trades: 280,
      sharpe: wouldBe.armA.metrics!.sharpe,
      psr: wouldBe.armA.metrics!.psr,
      expectancy: wouldBe.armA.metrics!.expectancy,
    });
    expect(p.challenger!.standing).toMatchObject({ trades: 280, sharpe: wouldBe.armB.metrics!.sharpe });
  });

  it("gives the last real decision table (a dry run since does not replace it)", () => {
    f = createPromotionFixture();
    fixture = f;
    const d = read().promotion!.lastDecision!;
    expect(d).toMatchObject({ id: f.runs.look1v3.runId, outcome: "continue", dryRun: false, armAVersion: "1", armBVersion: "3" });
    expect(d.conditions).toEqual(f.runs.look1v3.conditions);
    expect(d.conditions.find((c) => c.name === "sequential_boundary")?.passed).toBe(false);
  });

  it("reads roles, history and the last look without paper_trades when tradeLimit is 0 (what /metrics reads)", () => {
    f = createPromotionFixture();
    fixture = f;
    const p = read({ tradeLimit: 0 }).promotion!;
    expect(p.champion).toMatchObject({ version: "1", standing: null });
    expect(p.evaluation).toMatchObject({ looks: 1, now: null, lastLook: { runId: f.runs.look1v3.runId } });
  });

  it("lists a role history that contradicts itself as a problem and still renders the rest", () => {
    f = createPromotionFixture();
    fixture = f;
    withConn(f, (conn) => conn.sqlite.prepare("UPDATE model_role_events SET version = '4' WHERE event = 'rollback'").run());
    const r = read();
    expect(r.promotion).toBeNull();
    expect(r.problems).toEqual([
      expect.stringMatching(/^promotion loop: role history event #\d+ \(rollback 4\) contradicts the roles: the rollback target is 1$/),
      expect.stringMatching(/^paper trades: role history event #\d+ \(rollback 4\) contradicts the roles/),
    ]);
    expect(r.abRuns).toHaveLength(5);
  });

  it("hides file paths in role reasons from the viewer", () => {
    f = createPromotionFixture();
    fixture = f;
    withConn(f, (conn) =>
      conn.sqlite
        .prepare("UPDATE model_role_events SET reason = ? WHERE event = 'rollback'")
        .run(`model version 2 missing or corrupt: ${f.modelsDir}/2/manifest.json`),
    );
    const viewer = redactPaths(read(), [f.dbPath, f.modelsDir]);
    expect(viewer.promotion!.events[0]!.reason).toBe(`model version 2 missing or corrupt: ${HIDDEN_PATH}`);
    expect(JSON.stringify(viewer)).not.toContain(f.dir);
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
