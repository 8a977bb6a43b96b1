import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, DAY_MS, silentLogger } from "@mlq/core";
import { openMigrated, writeTx } from "@mlq/db";
import {
  activeModelPath,
  currentRoles,
  listVersionRoles,
  readActiveModel,
  readActiveState,
  readPointer,
  readRoleEvents,
  recordChampionChange,
  setPinned,
  syncRoleFiles,
} from "@mlq/registry";
import { decayThreshold } from "./decay-detector.js";
import {
  captureLogger,
  championWithPrevious,
  decayingReturns,
  healthyReturns,
  HOUR_MS,
  hourly,
  insertTrades,
  monitorFixture,
  POLICY,
  promote,
  register,
  T0,
  tableCounts,
  type MonitorFixture,
} from "./monitor.test-util.js";
import { runMonitor, type MonitorPolicy } from "./run-monitor.js";

let fx: MonitorFixture;
beforeEach(() => {
  fx = monitorFixture();
});
afterEach(() => fx.cleanup());

const NOW = T0 + 30 * DAY_MS;
const run = (policy: MonitorPolicy = POLICY, nowMs = NOW, logger = captureLogger()) =>
  runMonitor({ conn: fx.conn, modelsDir: fx.modelsDir, logger, nowMs, jobId: "job-m1" }, policy);

/** Everything a no-op run must leave as it was: every table's row count and the bot's file. */
function snapshot() {
  return { counts: tableCounts(fx.conn), activeModel: readFileSync(activeModelPath(fx.modelsDir), "utf8") };
}

describe("runMonitor: a decaying champion with a previous champion", () => {
  // Threshold with the defaults: allowance k = 0.05 − 0.15/3 = 0, in-control drift 0.05, ARL
  // 7,300 / 0.5 = 14,600 trades → h = 42.4473 (Siegmund). Warm-up: 30 trades ±1 (σ = 1.01710);
  // then every −2 adds 2/σ̂ to S, σ̂ being the std of the trades before it (never clipped: |z| < 2).
  // Recomputed independently: S crosses h at the 26th loss, the 56th trade (index 55), with
  // S = 42.9109 and σ̂ = 1.25126 there; after all 70 trades S = 65.7707 and σ = 1.19523.
  it("rolls back exactly once on the known-answer alarm: one ab_test_runs row, one role event, files and roles name the previous champion", () => {
    const { promotedAt } = championWithPrevious(fx);
    insertTrades(fx.conn, hourly(promotedAt + HOUR_MS, decayingReturns(40)));
    const trades = fx.conn.sqlite.prepare("SELECT id FROM paper_trades ORDER BY closed_ts_ms, id").all() as { id: number }[];
    const before = tableCounts(fx.conn);
    const logger = captureLogger();

    const s = run(POLICY, NOW, logger);

    expect(s.threshold).toBeCloseTo(42.4473, 4);
    expect(s.threshold).toBe(decayThreshold(POLICY, 7300, 0.5));
    expect(s).toMatchObject({
      champion: "2",
      previousChampion: "1",
      selection: "untagged",
      trades: 70,
      alarm: true,
      alarmTrade: { index: 55, id: trades[55]!.id, closedIso: new Date(promotedAt + 56 * HOUR_MS + 30 * 60_000).toISOString() },
      action: "rolled-back",
      championAfter: "1",
      jobId: "job-m1",
    });
    expect(s.statistic).toBeCloseTo(65.7707, 3);
    expect(s.peak).toBeCloseTo(65.7707, 3);
    expect(s.sigma).toBeCloseTo(1.19523, 5);

    const after = tableCounts(fx.conn);
    // one run row, one history row (and the run table's first AUTOINCREMENT entry); nothing else
    expect(after).toEqual({
      ...before,
      ab_test_runs: before["ab_test_runs"]! + 1,
      model_role_events: before["model_role_events"]! + 1,
      sqlite_sequence: before["sqlite_sequence"]! + 1,
    });
    const abRows = fx.conn.sqlite
      .prepare("SELECT id, job_id, action, outcome, swap_executed, success, arm_a_version FROM ab_test_runs")
      .all();
    expect(abRows).toEqual([
      {
        id: s.rollbackRunId,
        job_id: "job-m1",
        action: "rollback",
        outcome: "rolled-back",
        swap_executed: 1,
        success: 1,
        arm_a_version: "2",
      },
    ]);
    const event = readRoleEvents(fx.conn).at(-1)!;
    expect(event).toMatchObject({
      event: "rollback",
      version: "1",
      role: "champion",
      previousVersion: "2",
      runId: s.rollbackRunId,
      trigger: "monitor",
    });
    expect(event.reason).toContain("CUSUM alarm");
    expect(event.reason).toContain(`threshold ${s.threshold.toFixed(3)}`);
    expect(event.reason).toContain(`crossed at trade #${trades[55]!.id}`);
    expect(event.reason).toContain("70 trades");

    // the bot's file, the DB row and the history agree; the pointers need no rewrite
    expect(readActiveModel(fx.modelsDir)?.version).toBe("1");
    expect(readActiveState(fx.conn)?.versionDir).toBe(join(fx.modelsDir, "1"));
    expect(syncRoleFiles(fx.conn, fx.modelsDir, silentLogger)).toEqual([]);
    expect(readPointer(fx.modelsDir, "v1_backtest")?.version).toBe("1");
    const roles = currentRoles(fx.conn);
    expect(roles.champion?.version).toBe("1");
    expect(roles.previousChampion).toBeNull();
    expect(roles.barred).toEqual(["2"]);
    expect(listVersionRoles(fx.conn, fx.modelsDir).find((v) => v.version === "2")?.barred).toBe(true);

    expect(logger.lines.filter((l) => l.level === "warn").map((l) => l.msg)).toContain("monitor: decaying champion rolled back");
  });

  it("does nothing on the next run: the restored champion starts a fresh detector", () => {
    const { promotedAt } = championWithPrevious(fx);
    insertTrades(fx.conn, hourly(promotedAt + HOUR_MS, decayingReturns(40)));
    expect(run().action).toBe("rolled-back");
    const before = snapshot();
    const again = run(POLICY, NOW + HOUR_MS);
    expect(again).toMatchObject({
      champion: "1",
      previousChampion: null,
      trades: 0,
      alarm: false,
      action: "none",
      rollbackRunId: null,
      selection: null,
    });
    expect(snapshot()).toEqual(before);
  });

  it("counts only the champion's own trades when the bot tags them with model_version", () => {
    const { promotedAt } = championWithPrevious(fx);
    register(fx, "3", promotedAt + HOUR_MS / 2); // the next challenger, paper-trading meanwhile
    const champion = hourly(promotedAt + HOUR_MS, decayingReturns(40), { modelVersion: "2", modelArm: "v1_backtest" });
    const challenger = hourly(promotedAt + HOUR_MS + 60_000, healthyReturns(70), { modelVersion: "3", modelArm: "v2_paper" });
    insertTrades(fx.conn, [...champion, ...challenger]);
    const s = run();
    expect(s).toMatchObject({ selection: "model_version", trades: 70, alarmTrade: { index: 55 }, action: "rolled-back" });
    expect(s.leftOut.otherVersion).toBe(70);
    expect(currentRoles(fx.conn).challenger?.version).toBe("3");
  });
});

describe("runMonitor: runs that must write nothing", () => {
  it("leaves a healthy champion alone and writes no row and no file", () => {
    const { promotedAt } = championWithPrevious(fx);
    insertTrades(fx.conn, hourly(promotedAt + HOUR_MS, healthyReturns(400)));
    const before = snapshot();
    const logger = captureLogger();
    const s = run(POLICY, NOW, logger);
    expect(s).toMatchObject({
      champion: "2",
      trades: 400,
      alarm: false,
      alarmTrade: null,
      action: "none",
      rollbackRunId: null,
      championAfter: "2",
    });
    expect(s.statistic).toBeLessThan(s.threshold);
    expect(s.reason).toMatch(/^no alarm: champion 2 since/);
    expect(snapshot()).toEqual(before);
    expect(logger.lines.filter((l) => l.level === "warn" || l.level === "error")).toEqual([]);
  });

  it("holds a pinned champion with a decaying series, warns and says so", () => {
    const { promotedAt } = championWithPrevious(fx);
    setPinned(fx.conn, { version: "2", pinned: true, nowMs: promotedAt + 1, reason: "operator holds it" });
    insertTrades(fx.conn, hourly(promotedAt + HOUR_MS, decayingReturns(40)));
    const before = snapshot();
    const logger = captureLogger();
    const s = run(POLICY, NOW, logger);
    expect(s).toMatchObject({ champion: "2", pinned: true, alarm: true, action: "pinned", rollbackRunId: null, championAfter: "2" });
    expect(s.reason).toContain("NOT rolled back: the champion is pinned");
    expect(snapshot()).toEqual(before);
    expect(logger.lines.map((l) => `${l.level} ${l.msg}`)).toContain("warn monitor: decay alarm on a pinned champion; not rolled back");
  });

  it("has nothing to roll back to without a previous champion", () => {
    register(fx, "1", T0);
    insertTrades(fx.conn, hourly(T0 + HOUR_MS, decayingReturns(40)));
    const before = snapshot();
    const logger = captureLogger();
    const s = run(POLICY, NOW, logger);
    expect(s).toMatchObject({ champion: "1", previousChampion: null, alarm: true, action: "no-previous-champion", rollbackRunId: null });
    expect(snapshot()).toEqual(before);
    expect(logger.lines.some((l) => l.level === "warn" && l.msg.includes("no previous champion"))).toBe(true);
  });

  it("only reports an alarm when automatic rollback is switched off", () => {
    const { promotedAt } = championWithPrevious(fx);
    insertTrades(fx.conn, hourly(promotedAt + HOUR_MS, decayingReturns(40)));
    const before = snapshot();
    const s = run({ ...POLICY, rollback: false });
    expect(s).toMatchObject({ alarm: true, action: "disabled", championAfter: "2" });
    expect(snapshot()).toEqual(before);
  });

  it("reports a missing previous champion's files without a row every hour", () => {
    const { promotedAt } = championWithPrevious(fx);
    insertTrades(fx.conn, hourly(promotedAt + HOUR_MS, decayingReturns(40)));
    writeFileSync(join(fx.modelsDir, "1", "manifest.json"), "{ not json");
    const before = snapshot();
    const logger = captureLogger();
    const s = run(POLICY, NOW, logger);
    expect(s).toMatchObject({ alarm: true, action: "refused", rollbackRunId: null, championAfter: "2" });
    expect(s.reason).toContain("previous champion 1 is missing or corrupt");
    expect(snapshot()).toEqual(before);
    expect(logger.lines.some((l) => l.level === "error")).toBe(true);
  });

  it("rewrites a stale active_model.json from the database, and nothing else", () => {
    const { promotedAt } = championWithPrevious(fx);
    insertTrades(fx.conn, hourly(promotedAt + HOUR_MS, healthyReturns(100)));
    const good = snapshot();
    writeFileSync(activeModelPath(fx.modelsDir), "{ truncated");
    const logger = captureLogger();
    expect(run(POLICY, NOW, logger).action).toBe("none");
    expect(snapshot()).toEqual(good);
    expect(logger.lines.map((l) => `${l.level} ${l.msg}`)).toContain("warn active_model.json rewritten from ab_active_model");
  });

  it("has nothing to watch before the role history exists", () => {
    const before = tableCounts(fx.conn);
    const s = run();
    expect(s).toMatchObject({ champion: null, action: "none", trades: 0, alarm: false });
    expect(s.reason).toContain("no role history yet");
    expect(tableCounts(fx.conn)).toEqual(before);
  });

  it("sees only trades opened since the champion took its role", () => {
    const { promotedAt } = championWithPrevious(fx);
    // the decay happened before the promotion (as the challenger, or under the old champion)
    insertTrades(fx.conn, hourly(promotedAt - 80 * HOUR_MS, decayingReturns(40)));
    insertTrades(fx.conn, hourly(promotedAt, healthyReturns(50)));
    const s = run();
    expect(s).toMatchObject({ trades: 50, alarm: false, action: "none" });
  });
});

describe("runMonitor: roles that move while it looks", () => {
  it("does not roll back a champion promoted while the detector ran: the alarm was about the one before", () => {
    const { promotedAt } = championWithPrevious(fx);
    register(fx, "3", promotedAt + HOUR_MS / 2);
    insertTrades(fx.conn, hourly(promotedAt + HOUR_MS, decayingReturns(40)));
    // Another process (the A/B worker) promotes 3 while this run holds its read snapshot.
    const other = openMigrated(fx.dbPath);
    const promoteMeanwhile = (p: { stage: string }) => {
      if (p.stage !== "detect") return;
      writeTx(other, () =>
        recordChampionChange(other, fx.modelsDir, {
          tsMs: NOW - DAY_MS,
          event: "promote",
          version: "3",
          role: "champion",
          previousVersion: "2",
          trigger: "ab-eval",
          reason: "won meanwhile",
        }),
      );
    };
    try {
      const s = runMonitor(
        { conn: fx.conn, modelsDir: fx.modelsDir, logger: captureLogger(), nowMs: NOW, progress: promoteMeanwhile },
        POLICY,
      );
      expect(s).toMatchObject({ champion: "2", alarm: true, action: "refused", rollbackRunId: null, championAfter: "3" });
      expect(s.reason).toContain("the champion changed while this run looked (now 3)");
    } finally {
      other.close();
    }
    expect(fx.conn.sqlite.prepare("SELECT count(*) AS n FROM ab_test_runs").get()).toEqual({ n: 0 });
    expect(currentRoles(fx.conn)).toMatchObject({ champion: { version: "3" }, previousChampion: { version: "2" }, barred: [] });
  });

  it("does not roll back a champion pinned while it looked: the A/B's transaction says no, and the run is recorded", () => {
    const { promotedAt } = championWithPrevious(fx);
    insertTrades(fx.conn, hourly(promotedAt + HOUR_MS, decayingReturns(40)));
    const other = openMigrated(fx.dbPath);
    // The operator pins between the monitor's look and the rollback's transaction.
    const pinMeanwhile = (p: { stage: string }) => {
      if (p.stage === "rollback: evaluate") setPinned(other, { version: "2", pinned: true, nowMs: NOW - 1, reason: "operator holds it" });
    };
    try {
      const s = runMonitor({ conn: fx.conn, modelsDir: fx.modelsDir, logger: captureLogger(), nowMs: NOW, progress: pinMeanwhile }, POLICY);
      expect(s).toMatchObject({ champion: "2", alarm: true, action: "pinned", championAfter: "2" });
      expect(s.reason).toContain("pinned");
      expect(fx.conn.sqlite.prepare("SELECT action, outcome, swap_executed FROM ab_test_runs").all()).toEqual([
        { action: "rollback", outcome: "refused", swap_executed: 0 },
      ]);
    } finally {
      other.close();
    }
    expect(currentRoles(fx.conn)).toMatchObject({ champion: { version: "2" }, pinned: true, barred: [] });
  });
});

describe("runMonitor: policy", () => {
  it("refuses a reference Sharpe at or below the decay Sharpe with a ConfigError naming both settings", () => {
    expect(() => run({ ...POLICY, referenceSharpe: -0.2 })).toThrow(ConfigError);
    expect(() => run({ ...POLICY, referenceSharpe: -0.2 })).toThrow(
      /MLQ_ROLLBACK_REFERENCE_SR \(-0.2\) must exceed MLQ_ROLLBACK_DECAY_SR \(-0.1\)/,
    );
  });

  it("a later promotion makes the newer champion the one watched", () => {
    const { promotedAt } = championWithPrevious(fx);
    register(fx, "3", promotedAt + DAY_MS);
    const second = promotedAt + 5 * DAY_MS;
    promote(fx, "3", "2", second);
    insertTrades(fx.conn, hourly(second + HOUR_MS, decayingReturns(40)));
    const s = run();
    expect(s).toMatchObject({ champion: "3", previousChampion: "2", action: "rolled-back", championAfter: "2" });
    expect(readActiveModel(fx.modelsDir)?.version).toBe("2");
    expect(readPointer(fx.modelsDir, "v1_backtest")?.version).toBe("1");
    expect(currentRoles(fx.conn).barred).toEqual(["3"]);
  });
});
