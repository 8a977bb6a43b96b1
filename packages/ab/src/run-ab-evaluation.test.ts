import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConfigError, DAY_MS, HOUR_MS, InputDataError, isoUtc, OutputError, silentLogger, TransientDbError, type Logger } from "@mlq/core";
import { openDatabase, openMigrated, type Connection } from "@mlq/db";
import {
  activeModelPath,
  currentRoles,
  pointerPath,
  readActiveModel,
  readActiveState,
  readPointer,
  readRoleEvents,
  registerAndOffer,
  registerVersion,
  saveModelSet,
  setPinned,
  setPointer,
  syncRoleFiles,
  verifyVersion,
  writeActiveState,
} from "@mlq/registry";
import { abStatus, formatStatus } from "./ab-status.js";
import type { AbPolicy } from "./evaluate-arms.js";
import { runAbEvaluation, type AbAction, type AbDeps } from "./run-ab-evaluation.js";
import type { ShadowEvaluation } from "./shadow/shadow-evaluation.js";
import { listShadowRuns } from "./shadow/shadow-runs.js";

// The world of most tests: version 1 is registered at CH (champion and v1_backtest baseline),
// version 2 at S (the slot is free: it becomes the challenger and its evaluation starts), and
// the run looks at NOW = S + 15 days. Both arms trade 20 times a day, so at NOW each has 300
// trades, n_max at the first look is 300 × 60 / 15 = 1200 per arm and the information fraction
// is exactly 0.25: the O'Brien–Fleming-type boundary at α = 0.05 is then 3.74955 (SeqBounds.jl).
const CH = Date.UTC(2026, 7, 1);
const S = CH + 30 * DAY_MS;
const NOW = S + 15 * DAY_MS;
const EVERY = 1.2 * HOUR_MS; // 20 trades a day per arm
const POLICY: AbPolicy = { minTradesPerArm: 100, alpha: 0.05, alphaBudget: 0.25, challengerMaxDays: 60, shadowWorseP: 0.05 };
/** One-sided O'Brien–Fleming-type (Lan–DeMets) boundaries at α = 0.05, looks at t = .25, .5, .75 (SeqBounds.jl README). */
const OBF_05 = [3.74955, 2.53993, 2.01604];

let dir: string;
let modelsDir: string;
let conn: Connection;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-ab-"));
  modelsDir = join(dir, "models");
  conn = openMigrated(join(dir, "bot.db"), { create: true });
  // Real, sha256-verified version directories (the registry stores bytes; it never parses them).
  for (const v of [1, 2, 3, 4, 5]) {
    saveModelSet(modelsDir, v, {
      models: ["direction", "risk", "price", "momentum", "volatility"].map((name, k) => ({
        name,
        objective: k === 0 ? "binary:logistic" : "reg:squarederror",
        bytes: Uint8Array.from({ length: 32 + k }, (_, i) => (v * 31 + k * 7 + i) & 0xff),
      })),
      manifest: { featureNames: ["ret_1", "rsi_14"], params: { rounds: 5 }, dataWindow: { from_ms: 0, to_ms: 1 }, metrics: {} },
    });
  }
});
afterEach(() => {
  conn.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What a retrain's register stage does: register the version (offering it the slot), then mirror the roles in the files. */
function retrain(version: string, tsMs: number) {
  const out = registerAndOffer(conn, modelsDir, {
    version,
    runId: null,
    trigger: "scheduled",
    nowMs: tsMs,
    policy: { alpha: POLICY.alpha, budget: POLICY.alphaBudget },
  });
  syncRoleFiles(conn, modelsDir, silentLogger);
  return out;
}

/** The standard world: 1 champion since CH, 2 challenger since S. */
function world(): void {
  expect(retrain("1", CH).role).toBe("champion");
  expect(retrain("2", S).role).toBe("challenger");
}

function addModelVersionColumn(): void {
  conn.sqlite.exec("ALTER TABLE paper_trades ADD COLUMN model_version TEXT");
}

interface Trades {
  n: number;
  /** Trade i opens at from + (i + ½) × every and closes 30 minutes later. */
  from: number;
  every?: number;
  mean?: number;
  amplitude?: number;
  /** Overrides mean/amplitude: pnl_pct of trade i (null, text, ±Infinity allowed). */
  pnl?: (i: number) => unknown;
  arm?: string | null;
  version?: string | null;
  status?: string;
}

/** Deterministic, non-constant returns: mean + amplitude × sin(1.7 i + 0.3). */
function addTrades(t: Trades): void {
  const cols = new Set(
    (conn.sqlite.prepare("SELECT name FROM pragma_table_info('paper_trades')").all() as { name: string }[]).map((r) => r.name),
  );
  const extra = ["model_arm", "model_version"].filter((c) => cols.has(c));
  const stmt = conn.sqlite.prepare(
    `INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct${extra.map((c) => `, ${c}`).join("")})
     VALUES ('BTC-USDT', 'long', ?, ?, ?, ?${extra.map(() => ", ?").join("")})`,
  );
  const every = t.every ?? EVERY;
  conn.sqlite.transaction(() => {
    for (let i = 0; i < t.n; i++) {
      const opened = Math.round(t.from + (i + 0.5) * every);
      const status = t.status ?? "closed";
      const pnl = t.pnl ? t.pnl(i) : (t.mean ?? 0.05) + (t.amplitude ?? 1) * Math.sin(i * 1.7 + 0.3);
      const args: unknown[] = [status, opened, status === "closed" ? opened + 30 * 60_000 : null, pnl];
      if (cols.has("model_arm")) args.push(t.arm ?? null);
      if (cols.has("model_version")) args.push(t.version ?? null);
      stmt.run(...args);
    }
  })();
}

/** Both arms tagged by model_version from `from` for `days`; B's returns better by `edge` when given. */
function armTrades(champion: string, challenger: string, from: number, days: number, opts: { meanA?: number; meanB?: number } = {}): void {
  const n = Math.round((days * DAY_MS) / EVERY);
  addTrades({ n, from, version: champion, mean: opts.meanA ?? 0.05 });
  addTrades({ n, from, version: challenger, mean: opts.meanB ?? opts.meanA ?? 0.05 });
}

function run(action: AbAction, deps: Partial<AbDeps> = {}, policy: AbPolicy = POLICY) {
  return runAbEvaluation({ conn, modelsDir, nowMs: NOW, jobId: "job-1", ...deps }, { action, policy });
}

function runRows() {
  return conn.sqlite.prepare("SELECT * FROM ab_test_runs ORDER BY id").all() as Record<string, unknown>[];
}

const events = () => readRoleEvents(conn).map((e) => `${e.event} ${e.version}`);
const logger = () => ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }) satisfies Logger;
const versionDir = (v: string) => verifyVersion(modelsDir, v).versionDir;

/** Every file under the models dir with its bytes and mtime: what "wrote nothing" is checked against. */
function filesSnapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(modelsDir, p)] = `${statSync(p).mtimeMs}:${readFileSync(p, "hex")}`;
    }
  };
  walk(modelsDir);
  return out;
}

/** The world with a clearly better challenger: 300 trades per arm since S, B's mean 0.4 vs A's 0.02. */
function betterChallenger(): void {
  world();
  addModelVersionColumn();
  armTrades("1", "2", S, 15, { meanA: 0.02, meanB: 0.4 });
}

describe("runAbEvaluation: one look of the challenger's evaluation", () => {
  it("records 'not ready' with its decision table when the challenger has too few trades, and changes no role", () => {
    world();
    addModelVersionColumn();
    addTrades({ n: 150, from: S, version: "1" });
    addTrades({ n: 61, from: S, version: "2", mean: 0.3 });
    const s = run("evaluate");
    expect(s).toMatchObject({
      outcome: "continue",
      swapExecuted: false,
      swapRecommended: false,
      champion: "1",
      challenger: "2",
      splitMethod: "model_version",
      roleChanges: [],
    });
    expect(s.conditions.map((c) => [c.name, c.value, c.threshold, c.passed])).toEqual([
      ["trades_a", 150, 100, true],
      ["trades_b", 61, 100, false],
      ["sharpe_b_ge_a", s.armB.metrics!.sharpe, s.armA.metrics!.sharpe, true],
      ["expectancy_b_positive", s.armB.metrics!.expectancy, 0, true],
      ["sequential_boundary", s.evaluation.z, null, false],
      ["champion_not_pinned", 0, 0, true],
    ]);
    expect(s.decisionReason).toMatch(
      /^champion 1 vs challenger 2: arm A has 150 of 100 trades ✓; arm B has 61 of 100 trades ✗; .*sequential test: no look before both arms are ready ✗; the champion is not pinned ✓ → no swap$/,
    );
    // No look is taken before both arms are ready.
    expect(s.evaluation).toMatchObject({
      startIso: isoUtc(S),
      expiresIso: isoUtc(S + 60 * DAY_MS),
      expired: false,
      alphaK: 0.05,
      look: null,
      boundary: null,
    });
    const [row] = runRows();
    expect(row).toMatchObject({
      job_id: "job-1",
      action: "evaluate",
      dry_run: 0,
      success: 1,
      error_msg: null,
      split_method: "model_version",
      arm_a_label: "v1_backtest",
      arm_b_label: "v2_paper",
      arm_a_version: "1",
      arm_b_version: "2",
      arm_a_trades: 150,
      arm_b_trades: 61,
      evaluation_start_ms: S,
      look_index: null,
      info_fraction: null,
      alpha_k: 0.05,
      swap_recommended: 0,
      swap_executed: 0,
      outcome: "continue",
      decision_reason: s.decisionReason,
    });
    expect(JSON.parse(String(row!["conditions"]))).toEqual(s.conditions);
    expect(events()).toEqual(["register 1", "register 2", "take_slot 2"]);
    expect(readActiveModel(modelsDir)).toMatchObject({ version: "1", arm: "v1_backtest" });
  });

  it("promotes a clearly better challenger at its first look (information 0.25, boundary 3.7496): run row, history, ab_active_model and files agree", () => {
    betterChallenger();
    const s = run("evaluate");
    expect(s).toMatchObject({
      outcome: "promoted",
      swapRecommended: true,
      swapExecuted: true,
      target: "2",
      champion: "2",
      challenger: null,
      roleChanges: ["promote 2"],
    });
    expect(s.conditions.every((c) => c.passed)).toBe(true);
    expect(s.evaluation).toMatchObject({ look: 1, informationFraction: 0.25, nMaxPerArm: 1200, alphaK: 0.05 });
    expect(s.evaluation.boundary).toBeCloseTo(OBF_05[0]!, 3);
    expect(s.evaluation.z).toBeGreaterThan(s.evaluation.boundary!);
    expect(s.pBBetter).toBeCloseTo(1, 6);
    expect([s.armA.metrics?.trades, s.armB.metrics?.trades]).toEqual([300, 300]);
    expect(s.decisionReason).toMatch(
      /^champion 1 vs challenger 2: .* z \d+\.\d{3} ≥ boundary 3\.75\d \(look 1, information 25 %, α_k 0\.050, spent 0\.000089\) ✓; the champion is not pinned ✓ → swap; promoted 2 to champion$/,
    );

    const row = runRows()[0]!;
    expect(row).toMatchObject({
      id: s.runId,
      outcome: "promoted",
      swap_recommended: 1,
      swap_executed: 1,
      look_index: 1,
      info_fraction: 0.25,
      n_max_per_arm: 1200,
      alpha_k: 0.05,
      z_stat: s.evaluation.z,
    });
    expect(row["boundary_z"]).toBeCloseTo(OBF_05[0]!, 3);

    const promote = readRoleEvents(conn).at(-1)!;
    expect(promote).toMatchObject({
      event: "promote",
      version: "2",
      role: "champion",
      previousVersion: "1",
      runId: s.runId,
      trigger: "ab-eval",
      reason: s.decisionReason,
      tsMs: NOW,
    });
    expect(currentRoles(conn)).toMatchObject({
      champion: { version: "2", sinceMs: NOW },
      previousChampion: { version: "1" },
      challenger: null,
      v1Backtest: { version: "1" },
    });
    expect(readActiveState(conn)).toEqual({
      activeArm: "v2_paper",
      versionDir: versionDir("2"),
      manifestSha256: verifyVersion(modelsDir, "2").manifestSha256,
      swappedAt: isoUtc(NOW),
      swapRunId: s.runId,
      previousArm: "v1_backtest",
      previousVersionDir: versionDir("1"),
      previousManifestSha256: verifyVersion(modelsDir, "1").manifestSha256,
    });
    expect(JSON.parse(readFileSync(activeModelPath(modelsDir), "utf8"))).toEqual({
      arm: "v2_paper",
      version: "2",
      version_dir: versionDir("2"),
      manifest_sha256: verifyVersion(modelsDir, "2").manifestSha256,
      swapped_at: isoUtc(NOW),
      run_id: s.runId,
    });
    expect(s.activeBefore.version).toBe("1");
    expect(s.activeAfter).toMatchObject({ arm: "v2_paper", version: "2", swapRunId: s.runId });
    expect(readPointer(modelsDir, "v1_backtest")?.version).toBe("1");
  });

  it("has nothing to decide once the challenger is champion and no candidate waits (idle, previous_* kept)", () => {
    betterChallenger();
    const first = run("evaluate");
    const second = run("evaluate", { nowMs: NOW + DAY_MS });
    expect(second).toMatchObject({
      outcome: "idle",
      swapExecuted: false,
      champion: "2",
      challenger: null,
      conditions: [],
      roleChanges: [],
    });
    expect(second.decisionReason).toBe("no challenger: no candidate is waiting for the evaluation slot");
    expect(runRows()[1]).toMatchObject({ arm_a_version: "2", arm_b_version: null, look_index: null, conditions: null, outcome: "idle" });
    expect(readActiveState(conn)).toMatchObject({ swapRunId: first.runId, previousVersionDir: versionDir("1") });
  });

  it("takes looks 1, 2, 3 of one evaluation at information 0.25, 0.5, 0.75 with the published boundaries; a dry run in between takes none", () => {
    world();
    addModelVersionColumn();
    // Equal arms (the same returns): z = 0, never crossing.
    armTrades("1", "2", S, 15);
    const look1 = run("evaluate", { nowMs: S + 15 * DAY_MS });
    const dry = run("dry-run", { nowMs: S + 16 * DAY_MS });
    armTrades("1", "2", S + 15 * DAY_MS, 15);
    const look2 = run("evaluate", { nowMs: S + 30 * DAY_MS });
    armTrades("1", "2", S + 30 * DAY_MS, 15);
    const look3 = run("evaluate", { nowMs: S + 45 * DAY_MS });

    for (const s of [look1, look2, look3])
      expect(s).toMatchObject({ outcome: "continue", swapExecuted: false, evaluation: { z: 0, nMaxPerArm: 1200, alphaK: 0.05 } });
    const looks = runRows().map((r) => [r["look_index"], r["info_fraction"], r["n_max_per_arm"], r["evaluation_start_ms"], r["dry_run"]]);
    expect(looks).toEqual([
      [1, 0.25, 1200, S, 0],
      [null, null, null, S, 1],
      [2, 0.5, 1200, S, 0],
      [3, 0.75, 1200, S, 0],
    ]);
    const boundaries = runRows().map((r) => r["boundary_z"] as number | null);
    expect(boundaries[1]).toBeNull();
    [boundaries[0], boundaries[2], boundaries[3]].forEach((b, k) => expect(b).toBeCloseTo(OBF_05[k]!, 3));
    // The dry run shows the look it would take (the second) without recording it.
    expect(dry.evaluation.look).toBe(2);
    expect(dry.dryRun).toBe(true);
    expect(look2.evaluation.look).toBe(2);
    expect(look3.decisionReason).toContain("(look 3, information 75 %, α_k 0.050");
  });

  it("ends the evaluation at the look that reaches full information, also before the expiry when trades come faster than n_max assumed", () => {
    world();
    addModelVersionColumn();
    armTrades("1", "2", S, 15); // 20 a day: n_max 1200 at the first look
    expect(run("evaluate", { nowMs: S + 15 * DAY_MS }).evaluation).toMatchObject({ look: 1, informationFraction: 0.25, nMaxPerArm: 1200 });
    // Four times the rate: 300 + 1200 trades per arm by day 30, past n_max.
    const n = Math.round((15 * DAY_MS) / (EVERY / 4));
    addTrades({ n, from: S + 15 * DAY_MS, every: EVERY / 4, version: "1" });
    addTrades({ n, from: S + 15 * DAY_MS, every: EVERY / 4, version: "2" });
    const s = run("evaluate", { nowMs: S + 30 * DAY_MS });
    // Looking again at the final boundary each day would spend more than α_k: this look is the last.
    expect(s.evaluation).toMatchObject({ look: 2, informationFraction: 1, expired: false, z: 0 });
    expect(s).toMatchObject({ outcome: "expired", swapExecuted: false, challenger: null, roleChanges: ["expire 2"] });
    expect(s.decisionReason).toContain(
      `; the challenger's evaluation reached its planned information (n_max 1200 trades per arm) before ${isoUtc(S + 60 * DAY_MS)}: expired without a promotion`,
    );
    expect(runRows()[1]).toMatchObject({ look_index: 2, info_fraction: 1, outcome: "expired" });
  });

  it("restarts the evaluation when the champion changes (rollback): a new evaluation start and look 1 again", () => {
    betterChallenger();
    run("evaluate"); // 2 promoted at NOW
    const p2 = NOW + DAY_MS;
    expect(retrain("3", p2)).toMatchObject({ role: "challenger", slot: { alpha: 0.05 } });
    armTrades("2", "3", p2, 10);
    const before = run("evaluate", { nowMs: p2 + 10 * DAY_MS });
    expect(before).toMatchObject({ outcome: "continue", evaluation: { look: 1, startIso: isoUtc(p2) } });

    const r = p2 + 10 * DAY_MS + HOUR_MS;
    const back = run("rollback", { nowMs: r, trigger: "monitor", reason: "CUSUM of the champion's standardized returns crossed h" });
    expect(back).toMatchObject({ outcome: "rolled-back", champion: "1", challenger: "3" });
    armTrades("1", "3", r, 10);
    const after = run("evaluate", { nowMs: r + 10 * DAY_MS });
    expect(after).toMatchObject({
      outcome: "continue",
      evaluation: { look: 1, startIso: isoUtc(r) },
      armA: { version: "1" },
      armB: { version: "3" },
    });
    expect(runRows().map((x) => [x["action"], x["arm_a_version"], x["arm_b_version"], x["evaluation_start_ms"], x["look_index"]])).toEqual([
      ["evaluate", "1", "2", S, 1],
      ["evaluate", "2", "3", p2, 1],
      ["rollback", "2", "3", p2, null],
      ["evaluate", "1", "3", r, 1],
    ]);
    // 3's trades from before the rollback were made against another champion: not in this evaluation.
    expect(after.armB.metrics?.trades).toBe(200);
    expect(after.attribution?.outside).toBe(200 + 200 + 600);
  });

  it("expires a challenger after challengerMaxDays: the newest waiting candidate takes the slot, older ones are recorded as skipped", () => {
    world();
    retrain("3", S + 5 * DAY_MS);
    retrain("4", S + 10 * DAY_MS);
    expect(readPointer(modelsDir, "candidate")?.version).toBe("4");
    addModelVersionColumn();
    armTrades("1", "2", S, 60);
    const end = S + 60 * DAY_MS;
    const wouldBe = run("dry-run", { nowMs: end });
    expect(wouldBe).toMatchObject({ outcome: "would-expire", roleChanges: [], challenger: "2", waitingCandidates: ["3", "4"] });

    const s = run("evaluate", { nowMs: end });
    // The expiry look is the final one: information 1. Without earlier looks it is the fixed-sample test, z ≥ 1.6449.
    expect(s.evaluation).toMatchObject({ expired: true, look: 1, informationFraction: 1, z: 0 });
    expect(s.evaluation.boundary).toBeCloseTo(1.644854, 5);
    expect(s).toMatchObject({
      outcome: "expired",
      swapExecuted: false,
      champion: "1",
      challenger: "4",
      waitingCandidates: [],
      roleChanges: ["expire 2", "skip 3", "take_slot 4"],
    });
    expect(s.decisionReason).toContain(`; the challenger's time ran out at ${isoUtc(end)}: expired without a promotion`);
    expect(readRoleEvents(conn).slice(-3)).toMatchObject([
      { event: "expire", version: "2", role: "none", runId: s.runId, trigger: "ab-eval", reason: s.decisionReason },
      { event: "skip", version: "3", role: "none", reason: "superseded by the newer candidate 4" },
      { event: "take_slot", version: "4", role: "challenger", alpha: 0.05, tsMs: end },
    ]);
    expect(readPointer(modelsDir, "v2_paper")?.version).toBe("4");
    expect(readPointer(modelsDir, "v2_paper_prev")?.version).toBe("2");
    expect(existsSync(pointerPath(modelsDir, "candidate"))).toBe(false);
    expect(readActiveModel(modelsDir)?.version).toBe("1");

    // 4's evaluation starts now, on fresh trades only.
    const next = run("evaluate", { nowMs: end + DAY_MS });
    expect(next).toMatchObject({ outcome: "continue", challenger: "4", evaluation: { startIso: isoUtc(end), look: null } });
    expect(next.armB.metrics?.trades).toBe(0);
  });

  it("never promotes over a pinned champion (champion_not_pinned ✗), and promotes at the next look once unpinned", () => {
    betterChallenger();
    setPinned(conn, { version: "1", pinned: true, nowMs: S + DAY_MS, reason: "holiday freeze" });
    const held = run("evaluate");
    expect(held).toMatchObject({ outcome: "continue", swapRecommended: false, swapExecuted: false, pinned: true, champion: "1" });
    expect(held.conditions.filter((c) => !c.passed)).toEqual([
      { name: "champion_not_pinned", value: 1, threshold: 0, passed: false, text: "the champion is pinned by an operator" },
    ]);
    expect(held.decisionReason).toMatch(/the champion is pinned by an operator ✗ → no swap$/);
    expect(runRows()[0]).toMatchObject({ swap_recommended: 0, look_index: 1 });

    setPinned(conn, { version: "1", pinned: false, nowMs: NOW + 1, reason: "freeze over" });
    const s = run("evaluate", { nowMs: NOW + DAY_MS });
    expect(s).toMatchObject({ outcome: "promoted", champion: "2", evaluation: { look: 2 } });
  });

  it("counts trades naming versions the history never knew and attributes none of them", () => {
    world();
    addModelVersionColumn();
    armTrades("1", "2", S, 15);
    addTrades({ n: 7, from: S, version: "999", mean: 5 });
    addTrades({ n: 3, from: S, version: "v7", mean: -5 });
    // Known versions outside the evaluation: 1's trades from before 2 took the slot.
    addTrades({ n: 11, from: S - 5 * DAY_MS, version: "1" });
    const s = run("evaluate");
    expect(s.splitMethod).toBe("model_version");
    expect(s.attribution).toEqual({
      unknownVersion: 10,
      unknownVersions: ["999", "v7"],
      outside: 11,
      untaggedLeftOut: 0,
      unknownArm: 0,
      temporalA: null,
    });
    expect([s.armA.metrics?.trades, s.armB.metrics?.trades]).toEqual([300, 300]);
    const details = JSON.parse(String(runRows()[0]!["details"])) as { attribution: Record<string, unknown> };
    expect(details.attribution).toMatchObject({ method: "model_version", unknownVersion: 10, unknownVersions: ["999", "v7"] });
  });

  it("attributes model_arm tags through the role history at each trade's entry: v2_paper before the slot was taken belongs to nobody", () => {
    world();
    addTrades({ n: 120, from: S, arm: "v1_backtest" });
    addTrades({ n: 110, from: S, arm: "v2_paper", mean: 0.1 });
    addTrades({ n: 9, from: S - 3 * DAY_MS, arm: "v2_paper" }); // no challenger then
    addTrades({ n: 4, from: S, arm: null });
    addTrades({ n: 2, from: S, arm: "v3_shadow" });
    const s = run("evaluate");
    expect(s.splitMethod).toBe("model_arm");
    expect([s.armA.metrics?.trades, s.armB.metrics?.trades]).toEqual([120, 110]);
    expect(s.attribution).toMatchObject({ outside: 9, untaggedLeftOut: 4, unknownArm: 2, unknownVersion: 0 });
    expect(runRows()[0]).toMatchObject({ split_method: "model_arm", arm_a_trades: 120, arm_b_trades: 110 });
  });

  it("splits untagged trades in time on an older database without model_arm: B since the slot, A the same length before it", () => {
    conn.sqlite.exec("DROP TABLE paper_trades");
    conn.sqlite.exec(
      "CREATE TABLE paper_trades (id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, side TEXT NOT NULL, status TEXT NOT NULL, opened_ts_ms INTEGER NOT NULL, closed_ts_ms INTEGER, pnl_pct REAL)",
    );
    world();
    addTrades({ n: 400, from: S - 20 * DAY_MS, mean: 0.02 }); // 100 of them before S − 15 d
    addTrades({ n: 300, from: S, mean: 0.4 });
    const s = run("evaluate");
    expect(s.splitMethod).toBe("temporal");
    expect(s.attribution?.temporalA).toEqual({ fromIso: isoUtc(S - 15 * DAY_MS), toIso: isoUtc(S) });
    expect([s.armA.metrics?.trades, s.armB.metrics?.trades, s.attribution?.outside]).toEqual([300, 300, 100]);
    expect(s.outcome).toBe("promoted");
  });

  it("a dry run writes only its own row: no role change, no slot filled, no file touched", () => {
    betterChallenger();
    retrain("3", S + DAY_MS); // waits: the slot is held
    const eventsBefore = readRoleEvents(conn);
    const activeBefore = readActiveState(conn);
    const files = filesSnapshot();
    const s = run("dry-run");
    expect(s).toMatchObject({
      outcome: "would-promote",
      dryRun: true,
      swapRecommended: true,
      swapExecuted: false,
      target: "2",
      champion: "1",
      challenger: "2",
      roleChanges: [],
    });
    expect(s.decisionReason).toMatch(/^DRY RUN: champion 1 vs challenger 2: .* → swap; would promote 2 to champion$/);
    expect(runRows()).toHaveLength(1);
    expect(runRows()[0]).toMatchObject({
      dry_run: 1,
      action: "evaluate",
      swap_recommended: 1,
      swap_executed: 0,
      look_index: null,
      outcome: "would-promote",
    });
    expect(readRoleEvents(conn)).toEqual(eventsBefore);
    expect(readActiveState(conn)).toEqual(activeBefore);
    expect(filesSnapshot()).toEqual(files);
  });

  it("is deterministic for the same data", () => {
    betterChallenger();
    const a = run("dry-run");
    const b = run("dry-run");
    expect({ ...b, runId: a.runId }).toEqual(a);
    const [ra, rb] = runRows();
    expect({ ...rb, id: ra!["id"] }).toEqual(ra);
  });

  it("force-swap makes the challenger champion against the numbers and says so", () => {
    world();
    addModelVersionColumn();
    armTrades("1", "2", S, 15, { meanA: 0.4, meanB: -0.1 });
    const s = run("force-swap");
    expect(s).toMatchObject({
      outcome: "force-swapped",
      swapRecommended: false,
      swapExecuted: true,
      champion: "2",
      challenger: null,
      roleChanges: ["force_swap 2"],
    });
    expect(s.decisionReason).toMatch(/^FORCED swap to 2 regardless of the numbers \(champion 1 vs challenger 2: .* → no swap\)$/);
    expect(runRows()[0]).toMatchObject({
      action: "force-swap",
      swap_executed: 1,
      swap_recommended: 0,
      look_index: null,
      outcome: "force-swapped",
    });
    expect(readRoleEvents(conn).at(-1)).toMatchObject({
      event: "force_swap",
      version: "2",
      role: "champion",
      previousVersion: "1",
      trigger: "operator",
      runId: s.runId,
    });
    expect(readActiveModel(modelsDir)).toMatchObject({ arm: "v2_paper", version: "2", runId: s.runId });
    expect(currentRoles(conn).previousChampion?.version).toBe("1");
  });

  it("refuses a forced swap when there is nothing to swap to, and still records it", () => {
    retrain("1", CH);
    const s = run("force-swap");
    expect(s).toMatchObject({ outcome: "refused", swapExecuted: false, champion: "1" });
    expect(s.decisionReason).toBe(
      "FORCED swap refused: no challenger or waiting candidate to swap to (no challenger: no candidate is waiting for the evaluation slot)",
    );
    expect(runRows()[0]).toMatchObject({ action: "force-swap", swap_executed: 0, outcome: "refused" });
  });

  it("rolls back to the previous champion (recorded with the monitor's reason at warn); the rolled-back version needs a new A/B win", () => {
    betterChallenger();
    run("evaluate"); // 2 promoted
    const log = logger();
    const reason = "CUSUM of the champion's standardized returns crossed h = 5.1";
    const back = run("rollback", { nowMs: NOW + 1000, trigger: "monitor", reason, logger: log });
    expect(back).toMatchObject({
      outcome: "rolled-back",
      swapExecuted: true,
      target: "1",
      champion: "1",
      activeArm: "v1_backtest",
      roleChanges: ["rollback 1"],
    });
    expect(back.decisionReason).toMatch(/^ROLLBACK from 2 to 1 \(/);
    expect(readRoleEvents(conn).at(-1)).toMatchObject({
      event: "rollback",
      version: "1",
      role: "champion",
      previousVersion: "2",
      trigger: "monitor",
      reason,
      runId: back.runId,
    });
    expect(log.warn).toHaveBeenCalledWith("A/B run recorded", expect.objectContaining({ outcome: "rolled-back", champion: "1" }));
    expect(runRows()[1]).toMatchObject({ action: "rollback", swap_executed: 1, outcome: "rolled-back" });
    expect(readActiveState(conn)).toMatchObject({
      activeArm: "v1_backtest",
      versionDir: versionDir("1"),
      swapRunId: back.runId,
      previousArm: null,
      previousVersionDir: null,
    });
    expect(readActiveModel(modelsDir)).toMatchObject({ arm: "v1_backtest", version: "1", runId: back.runId });
    expect(currentRoles(conn)).toMatchObject({ barred: ["2"], previousChampion: null });

    // No toggling back: the rollback target is gone.
    const again = run("rollback", { nowMs: NOW + 2000 });
    expect(again).toMatchObject({ outcome: "refused", swapExecuted: false, champion: "1" });
    expect(again.decisionReason).toMatch(/^ROLLBACK refused: nothing to roll back to: no previous champion is recorded/);

    // Offered again, 2 takes the free slot, but a forced swap cannot bring it back …
    registerVersion(conn, modelsDir, { version: "2", runId: null, trigger: "force", nowMs: NOW + 3000 });
    const forced = run("force-swap", { nowMs: NOW + 4000 });
    expect(forced).toMatchObject({ outcome: "refused", swapExecuted: false, champion: "1", challenger: "2", roleChanges: ["take_slot 2"] });
    expect(forced.decisionReason).toMatch(/^FORCED swap refused: 2 was rolled back and must win a new A\/B first/);
    expect(readActiveModel(modelsDir)?.version).toBe("1");

    // … only winning a new A/B on trades made since it took the slot again does.
    armTrades("1", "2", NOW + 4000, 15, { meanA: 0.02, meanB: 0.4 });
    const won = run("evaluate", { nowMs: NOW + 4000 + 15 * DAY_MS });
    expect(won).toMatchObject({ outcome: "promoted", champion: "2", evaluation: { look: 1, startIso: isoUtc(NOW + 4000) } });
    expect(currentRoles(conn).barred).toEqual([]);
  });

  it("refuses a rollback when no champion was ever replaced, and still records it", () => {
    world();
    const s = run("rollback");
    expect(s).toMatchObject({ outcome: "refused", swapExecuted: false, champion: "1" });
    expect(s.decisionReason).toMatch(/^ROLLBACK refused: nothing to roll back to: no previous champion is recorded/);
    expect(runRows()[0]).toMatchObject({ action: "rollback", swap_executed: 0 });
  });

  it("rolls back even when the database has no paper_trades table", () => {
    betterChallenger();
    run("evaluate");
    conn.sqlite.exec("DROP TABLE paper_trades");
    const s = run("rollback", { nowMs: NOW + 1000 });
    expect(s).toMatchObject({ outcome: "rolled-back", swapExecuted: true, champion: "1", armA: { metrics: null } });
    expect(runRows()[1]).toMatchObject({ action: "rollback", split_method: null, arm_a_trades: null });
  });

  it.each([
    ["missing", () => rmSync(join(modelsDir, "2"), { recursive: true })],
    ["corrupt", () => writeFileSync(join(modelsDir, "2", "risk.xgb"), "tampered")],
    ["truncated manifest", () => writeFileSync(join(modelsDir, "2", "manifest.json"), '{"format":"mlq-model-set/1","vers')],
  ])("does not promote a challenger whose version is %s, and records why", (_label, damage) => {
    betterChallenger();
    damage();
    const s = run("evaluate");
    expect(s).toMatchObject({
      outcome: "refused",
      swapRecommended: true,
      swapExecuted: false,
      target: null,
      champion: "1",
      challenger: "2",
    });
    expect(s.decisionReason).toMatch(/→ swap; NOT swapped: model version 2 missing or corrupt: .+/);
    expect(runRows()[0]).toMatchObject({ swap_recommended: 1, swap_executed: 0, outcome: "refused" });
    expect(readActiveModel(modelsDir)?.version).toBe("1");
    expect(events()).toEqual(["register 1", "register 2", "take_slot 2"]);
  });

  it("refuses a forced swap to a corrupt version and a rollback to a missing one", () => {
    betterChallenger();
    writeFileSync(join(modelsDir, "2", "manifest.json"), "{}");
    const forced = run("force-swap");
    expect(forced.outcome).toBe("refused");
    expect(forced.decisionReason).toMatch(/^FORCED swap refused: model version 2 missing or corrupt: /);

    rmSync(join(modelsDir, "2"), { recursive: true });
    saveModelSet(modelsDir, "2", {
      models: [{ name: "direction", bytes: Uint8Array.from([1, 2, 3]) }],
      manifest: { featureNames: [], params: {}, dataWindow: {}, metrics: {} },
    });
    run("evaluate"); // promoted (the rewritten 2 verifies)
    rmSync(join(modelsDir, "1"), { recursive: true });
    const back = run("rollback", { nowMs: NOW + 1000 });
    expect(back).toMatchObject({ outcome: "refused", champion: "2" });
    expect(back.decisionReason).toMatch(/^ROLLBACK refused: model version 1 missing or corrupt: /);
  });

  it("promotes a verified challenger even when the outgoing champion's files are damaged; a rollback to it is then refused", () => {
    betterChallenger();
    writeFileSync(join(modelsDir, "1", "risk.xgb"), "tampered");
    const s = run("evaluate");
    expect(s).toMatchObject({ outcome: "promoted", champion: "2" });
    // The rollback target is recorded without a manifest hash it could not verify.
    expect(readActiveState(conn)).toMatchObject({
      versionDir: versionDir("2"),
      previousArm: "v1_backtest",
      previousVersionDir: join(modelsDir, "1"),
      previousManifestSha256: null,
    });
    expect(readActiveModel(modelsDir)?.version).toBe("2");
    const back = run("rollback", { nowMs: NOW + 1000 });
    expect(back).toMatchObject({ outcome: "refused", champion: "2" });
    expect(back.decisionReason).toMatch(/^ROLLBACK refused: model version 1 missing or corrupt: model file .*risk\.xgb/);
  });

  it("skips and counts NULL and non-finite pnl_pct, and ignores open trades", () => {
    world();
    addModelVersionColumn();
    addTrades({ n: 120, from: S, version: "1" });
    addTrades({ n: 2, from: S, version: "2", pnl: () => null });
    addTrades({ n: 3, from: S, version: "2", pnl: (i) => [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, "n/a"][i] });
    addTrades({ n: 4, from: S, version: "2", status: "open", pnl: () => null });
    const s = run("evaluate");
    expect([s.skippedNullPnl, s.skippedInvalidPnl]).toEqual([2, 3]);
    expect([s.armA.metrics?.trades, s.armB.metrics?.trades]).toEqual([120, 0]);
    const details = JSON.parse(String(runRows()[0]!["details"])) as Record<string, unknown>;
    expect(details).toMatchObject({ skippedNullPnl: 2, skippedInvalidPnl: 3 });
  });

  it("keeps NaN and Infinity out of the DB and the JSON for all-winning and zero-variance arms", () => {
    world();
    addModelVersionColumn();
    // A: 150 identical winners (zero variance, PF ∞); B: 150 winners of varying size (PF ∞).
    addTrades({ n: 150, from: S, version: "1", mean: 0.2, amplitude: 0 });
    addTrades({ n: 150, from: S, version: "2", mean: 1, amplitude: 0.5 });
    const s = run("evaluate");
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s.armA.metrics).toMatchObject({ sharpe: null, profitFactor: null, profitFactorInfinite: true });
    expect(s.armB.metrics).toMatchObject({ profitFactor: null, profitFactorInfinite: true });
    expect(s).toMatchObject({ outcome: "continue", swapExecuted: false, pBBetter: null, evaluation: { z: null } });
    expect(s.decisionReason).toContain("Sharpe undefined (zero variance) ✗");
    const row = runRows()[0]!;
    for (const [k, v] of Object.entries(row)) if (typeof v === "number") expect(Number.isFinite(v), k).toBe(true);
    expect(row).toMatchObject({ arm_a_pf: null, arm_b_pf: null, arm_a_sharpe: null, p_b_better: null, z_stat: null });
    const details = JSON.parse(String(row["details"])) as { arms: Record<string, { profitFactorInfinite: boolean }> };
    expect(details.arms["v2_paper"]?.profitFactorInfinite).toBe(true);
  });

  it("treats all-losing arms as a plain no-swap with PF 0", () => {
    world();
    addModelVersionColumn();
    addTrades({ n: 150, from: S, version: "1", mean: -1, amplitude: 0.5 });
    addTrades({ n: 150, from: S, version: "2", mean: -0.8, amplitude: 0.5 });
    const s = run("evaluate");
    expect(s.armB.metrics).toMatchObject({ profitFactor: 0, profitFactorInfinite: false, winRate: 0 });
    expect(s.decisionReason).toMatch(/expectancy B -0\.[78]\d+% ≤ 0 ✗/);
    expect(s).toMatchObject({ outcome: "continue", swapExecuted: false });
  });

  it("records an idle run, naming why, when the bot's paper_trades table is gone", () => {
    world();
    conn.sqlite.exec("DROP TABLE paper_trades");
    const s = run("evaluate");
    expect(s).toMatchObject({ outcome: "idle", swapExecuted: false, champion: "1", challenger: "2" });
    expect(s.decisionReason).toBe("champion 1 vs challenger 2: no paper_trades table: the bot has not written any trades");
  });

  it("names a missing paper_trades column and the database, in the thrown error and the failure row", () => {
    world();
    conn.sqlite.exec("ALTER TABLE paper_trades DROP COLUMN pnl_pct");
    expect(() => run("evaluate")).toThrow(InputDataError);
    expect(conn.sqlite.prepare("SELECT success, error_msg, outcome, swap_executed, decision_reason FROM ab_test_runs").all()).toEqual([
      {
        success: 0,
        error_msg: `paper_trades.pnl_pct column missing in ${conn.path}`,
        outcome: "failed",
        swap_executed: 0,
        decision_reason: `FAILED: paper_trades.pnl_pct column missing in ${conn.path}`,
      },
    ]);
  });

  it.each(["model_role_events", "ab_active_model"])("names a missing %s table and the database, and records the failure", (table) => {
    conn.sqlite.exec(`DROP TABLE ${table}`);
    expect(() => run("evaluate")).toThrow(InputDataError);
    expect(() => run("evaluate")).toThrow(`${table} table missing in ${conn.path}`);
    expect(conn.sqlite.prepare("SELECT success, error_msg FROM ab_test_runs").all()).toEqual([
      { success: 0, error_msg: `${table} table missing in ${conn.path}` },
      { success: 0, error_msg: `${table} table missing in ${conn.path}` },
    ]);
  });

  it("names a missing ab_test_runs table (no failure row can be written)", () => {
    conn.sqlite.exec("DROP TABLE ab_test_runs");
    expect(() => run("evaluate")).toThrow(`ab_test_runs table missing in ${conn.path}`);
  });

  it("records successful runs with success = 1 and no error, also with no version registered yet", () => {
    const s = run("evaluate");
    expect(s).toMatchObject({ outcome: "idle", champion: null, challenger: null, activeArm: "v1_backtest" });
    expect(s.decisionReason).toBe("no champion yet: the first trained set becomes champion");
    expect(conn.sqlite.prepare("SELECT success, error_msg FROM ab_test_runs").all()).toEqual([{ success: 1, error_msg: null }]);
  });

  it.each([
    [{ minTradesPerArm: 0 }, /minTradesPerArm must be an integer ≥ 2, got 0/],
    [{ minTradesPerArm: 10.5 }, /minTradesPerArm must be an integer ≥ 2, got 10.5/],
    [{ alpha: 0.5 }, /alpha must be within \(0, 0\.5\), got 0\.5/],
    [{ alpha: Number.NaN }, /alpha must be within \(0, 0\.5\), got NaN/],
    [{ alphaBudget: 0 }, /alphaBudget must be within \(0, 1\], got 0/],
    [{ challengerMaxDays: -1 }, /challengerMaxDays must be > 0, got -1/],
    [{ shadowWorseP: 1 }, /shadowWorseP must be within \(0, 1\), got 1/],
  ])("rejects an invalid policy %o with ConfigError", (bad, message) => {
    const policy = { ...POLICY, ...bad };
    expect(() => run("evaluate", {}, policy)).toThrow(ConfigError);
    expect(() => run("evaluate", {}, policy)).toThrow(message);
  });

  it("reports progress, and on an aborted signal records the timeout without evaluating or promoting", () => {
    betterChallenger();
    const progress = vi.fn();
    run("dry-run", { progress });
    expect(progress.mock.calls.map((c) => (c[0] as { stage: string }).stage)).toEqual([
      "reconcile",
      "evaluate",
      "decide",
      "record",
      "done",
    ]);
    const controller = new AbortController();
    controller.abort(new Error("ab-eval timed out after 1800000 ms"));
    expect(() => run("evaluate", { signal: controller.signal })).toThrow(/timed out/);
    const rows = runRows();
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ success: 0, swap_executed: 0, outcome: "failed", error_msg: "ab-eval timed out after 1800000 ms" });
    expect(currentRoles(conn).champion?.version).toBe("1");
  });
});

describe("runAbEvaluation: retryable failures and the attempt they happen on", () => {
  /** A progress reporter that fails retryably at one stage (as a busy database would mid-run). */
  const busyAt = (stage: string) => (p: { stage: string }) => {
    if (p.stage === stage) throw new TransientDbError("database busy writing to x.db");
  };

  it("leaves a retryable error before the last attempt to the retry: thrown, no row (finalAttempt false)", () => {
    betterChallenger();
    expect(() => run("evaluate", { progress: busyAt("decide"), finalAttempt: false })).toThrow(TransientDbError);
    expect(runRows()).toHaveLength(0);
    expect(currentRoles(conn).champion?.version).toBe("1");
  });

  it.each([
    ["on the last attempt of a job", { finalAttempt: true }],
    ["when nothing retries (--local, the default)", {}],
  ])("records a retryable failure %s: success 0 with the error, nothing promoted", (_when, deps) => {
    betterChallenger();
    expect(() => run("evaluate", { progress: busyAt("decide"), ...deps })).toThrow(TransientDbError);
    expect(
      conn.sqlite.prepare("SELECT job_id, success, error_msg, swap_executed, outcome, decision_reason FROM ab_test_runs").all(),
    ).toEqual([
      {
        job_id: "job-1",
        success: 0,
        error_msg: "database busy writing to x.db",
        swap_executed: 0,
        outcome: "failed",
        decision_reason: "FAILED: database busy writing to x.db",
      },
    ]);
    expect(readActiveModel(modelsDir)?.version).toBe("1");
  });

  it("turns a real SQLITE_BUSY into a retryable error; on the last attempt the failure row cannot be written either, and the log says so", () => {
    betterChallenger();
    conn.sqlite.pragma("busy_timeout = 0");
    const blocker = openDatabase(conn.path);
    blocker.sqlite.exec("BEGIN IMMEDIATE");
    try {
      expect(() => run("evaluate", { finalAttempt: false })).toThrow(`database busy writing to ${conn.path}`);
      const log = logger();
      expect(() => run("evaluate", { finalAttempt: true, logger: log })).toThrow(TransientDbError);
      expect(log.error).toHaveBeenCalledWith("could not record the failed A/B run", {
        error: `database busy writing to ${conn.path}`,
        cause: `database busy writing to ${conn.path}`,
      });
    } finally {
      blocker.sqlite.exec("ROLLBACK");
      blocker.close();
    }
    expect(runRows()).toHaveLength(0);
    expect(run("evaluate").outcome).toBe("promoted");
  });
});

describe("runAbEvaluation: roles brought in line with the history first", () => {
  it("repairs an ab_active_model row that contradicts the role history, from the history", () => {
    world();
    writeActiveState(conn, {
      activeArm: "v2_paper",
      versionDir: versionDir("3"),
      manifestSha256: verifyVersion(modelsDir, "3").manifestSha256,
      swappedAt: isoUtc(S),
      swapRunId: null,
      previousArm: null,
      previousVersionDir: null,
      previousManifestSha256: null,
    });
    const log = logger();
    const s = run("evaluate", { logger: log });
    // The file was first made to match the (wrong) row, then both were repaired from the history.
    expect(s.activeFileAtStart).toBe("rewritten");
    expect(s.roleChanges).toEqual(["repair ab_active_model (champion 1)"]);
    expect(log.warn).toHaveBeenCalledWith("ab_active_model named another champion than the role history; repaired from the history", {
      had: versionDir("3"),
      champion: "1",
    });
    expect(readActiveState(conn)).toMatchObject({ activeArm: "v1_backtest", versionDir: versionDir("1") });
    expect(readActiveModel(modelsDir)).toMatchObject({ arm: "v1_backtest", version: "1" });
    expect(s.champion).toBe("1");
  });

  it("seeds the role history of an install that predates it from the pointers and ab_active_model", () => {
    setPointer(modelsDir, "v1_backtest", "1");
    setPointer(modelsDir, "v2_paper", "3");
    // The install had swapped to 2 (from 1) before the role history existed.
    writeActiveState(conn, {
      activeArm: "v2_paper",
      versionDir: versionDir("2"),
      manifestSha256: verifyVersion(modelsDir, "2").manifestSha256,
      swappedAt: isoUtc(S),
      swapRunId: null,
      previousArm: "v1_backtest",
      previousVersionDir: versionDir("1"),
      previousManifestSha256: verifyVersion(modelsDir, "1").manifestSha256,
    });
    const s = run("evaluate");
    expect(s).toMatchObject({ roleChanges: ["seed (champion 2)"], champion: "2", challenger: "3", outcome: "continue" });
    expect(readRoleEvents(conn).map((e) => [e.event, e.version, e.role, e.trigger, e.alpha, e.tsMs])).toEqual([
      ["seed", "1", "v1_backtest", "migration", null, NOW],
      ["seed", "2", "champion", "migration", null, S], // champion since its recorded swap
      ["seed", "1", "previous_champion", "migration", null, NOW],
      ["seed", "3", "challenger", "migration", 0.05, NOW],
    ]);
    expect(currentRoles(conn)).toMatchObject({ previousChampion: { version: "1" }, v1Backtest: { version: "1" } });
    // The evaluation of the seeded challenger starts when its pointer was written, or at the seed when that is later than now.
    expect(s.evaluation.startIso).toBe(isoUtc(NOW));
    // Seeding is once: the next run adds nothing.
    expect(run("evaluate", { nowMs: NOW + DAY_MS }).roleChanges).toEqual([]);
    expect(readRoleEvents(conn)).toHaveLength(4);
  });

  it("seeds a fresh install that only has pointers, writing ab_active_model and active_model.json for its champion", () => {
    setPointer(modelsDir, "v1_backtest", "1");
    setPointer(modelsDir, "v2_paper", "1");
    const s = run("evaluate");
    expect(s).toMatchObject({ roleChanges: ["seed (champion 1)"], champion: "1", challenger: null, outcome: "idle" });
    expect(events()).toEqual(["seed 1", "seed 1"]);
    expect(readActiveState(conn)).toMatchObject({ activeArm: "v1_backtest", versionDir: versionDir("1") });
    expect(readActiveModel(modelsDir)).toMatchObject({ arm: "v1_backtest", version: "1" });
  });

  it("gives a free evaluation slot to the newest waiting candidate before looking (older ones skipped)", () => {
    betterChallenger();
    run("evaluate"); // 2 promoted, slot free
    // Candidates registered without being offered the slot (e.g. by an older retrain).
    registerVersion(conn, modelsDir, { version: "3", runId: null, trigger: "scheduled", nowMs: NOW + 1 });
    registerVersion(conn, modelsDir, { version: "4", runId: null, trigger: "force", nowMs: NOW + 2 });
    const s = run("evaluate", { nowMs: NOW + DAY_MS });
    expect(s).toMatchObject({ roleChanges: ["skip 3", "take_slot 4"], challenger: "4", outcome: "continue" });
    expect(readPointer(modelsDir, "v2_paper")?.version).toBe("4");
  });
});

describe("active_model.json and pointer crash recovery", () => {
  it("keeps a committed promotion when the files cannot be written, and says so; the next run fails at its start and records it", () => {
    betterChallenger();
    // The file system fails after the look and before the write: a directory where the file belongs.
    const obstruct = (p: { stage: string }) => {
      if (p.stage !== "record") return;
      rmSync(activeModelPath(modelsDir));
      mkdirSync(join(activeModelPath(modelsDir), "blocker"), { recursive: true });
    };
    expect(() => run("evaluate", { progress: obstruct })).toThrow(
      /^A\/B run 1 changed the roles in .* \(promote 2\), but the files in .* could not be written \(cannot write .*active_model\.json: E[A-Z]+\); the next A\/B run or status rewrites them from the database$/,
    );
    // The next run is stopped by the same obstacle at its start-of-run reconciliation, before any look.
    expect(() => run("evaluate", { nowMs: NOW + 1 })).toThrow(/^cannot write .*active_model\.json: E[A-Z]+$/);
    expect(readActiveState(conn)?.versionDir).toBe(versionDir("2"));
    expect(runRows().map((r) => [r["outcome"], r["success"]])).toEqual([
      ["promoted", 1],
      ["failed", 0],
    ]);
  });

  it("repairs the files at the next run's start after a failed write", () => {
    betterChallenger();
    const obstruct = (p: { stage: string }) => {
      if (p.stage !== "record") return;
      rmSync(activeModelPath(modelsDir));
      mkdirSync(activeModelPath(modelsDir));
    };
    expect(() => run("evaluate", { progress: obstruct })).toThrow(OutputError);
    // Still blocked at the start-of-run reconciliation; the DB already says 2.
    expect(() => run("evaluate", { nowMs: NOW + 1 })).toThrow(OutputError);
    expect(runRows().filter((r) => r["swap_executed"] === 1)).toHaveLength(1);

    rmSync(activeModelPath(modelsDir), { recursive: true });
    const log = logger();
    const status = abStatus(conn, modelsDir, { logger: log });
    expect(status.activeFile).toBe("rewritten");
    expect(status.champion?.version).toBe("2");
    expect(readActiveModel(modelsDir)).toMatchObject({ arm: "v2_paper", version: "2", runId: readActiveState(conn)?.swapRunId });
    expect(log.warn).toHaveBeenCalledWith(
      "active_model.json rewritten from ab_active_model",
      expect.objectContaining({ problem: "missing", arm: "v2_paper" }),
    );
    expect(abStatus(conn, modelsDir).activeFile).toBe("in-sync");
  });

  it("rewrites a v2_paper pointer that contradicts the history at the next run", () => {
    world();
    setPointer(modelsDir, "v2_paper", "5");
    const s = run("evaluate");
    expect(s.challenger).toBe("2");
    expect(readPointer(modelsDir, "v2_paper")?.version).toBe("2");
    expect(readPointer(modelsDir, "v2_paper_prev")?.version).toBe("5");
  });

  it.each([
    ["stale (an older champion)", '{"arm":"v1_backtest","version":"1","run_id":1}'],
    ["truncated", '{"arm":"v2_pa'],
    ["not an object", "[]"],
  ])("every run first rewrites a %s file from the database", (_label, content) => {
    betterChallenger();
    const swap = run("evaluate");
    writeFileSync(activeModelPath(modelsDir), content);
    const log = logger();
    const next = run("dry-run", { logger: log, nowMs: NOW + 1 });
    expect(next.activeFileAtStart).toBe("rewritten");
    expect(log.warn).toHaveBeenCalledOnce();
    expect(readActiveModel(modelsDir)).toMatchObject({ arm: "v2_paper", version: "2", runId: swap.runId });
  });

  it("leaves a file alone when no champion is recorded yet", () => {
    mkdirSync(modelsDir, { recursive: true });
    writeFileSync(activeModelPath(modelsDir), '{"arm":"v1_backtest"}');
    expect(abStatus(conn, modelsDir).activeFile).toBe("no-db-state");
    expect(readFileSync(activeModelPath(modelsDir), "utf8")).toBe('{"arm":"v1_backtest"}');
  });
});

describe("abStatus", () => {
  it("reports no roles before the first version", () => {
    const s = abStatus(conn, modelsDir);
    expect(s).toMatchObject({
      activeArm: "v1_backtest",
      champion: null,
      challenger: null,
      candidates: [],
      swapRun: null,
      lastEvaluations: [],
      pinned: false,
      barred: [],
    });
    expect(formatStatus(s)).toContain("champion:   none — active_model.json arm v1_backtest");
  });

  it("returns the roles since when, the run that made the champion, and the last N runs with their failed conditions", () => {
    betterChallenger();
    run("dry-run", { nowMs: NOW - 1000 });
    const swap = run("evaluate");
    retrain("3", NOW + 10);
    retrain("4", NOW + 20);
    run("evaluate", { nowMs: NOW + 1000 });
    const s = abStatus(conn, modelsDir, { last: 2 });
    expect(s.active).toEqual({
      arm: "v2_paper",
      version: "2",
      versionDir: versionDir("2"),
      manifestSha256: verifyVersion(modelsDir, "2").manifestSha256,
      swappedAt: isoUtc(NOW),
      swapRunId: swap.runId,
    });
    expect(s).toMatchObject({
      champion: { version: "2", sinceIso: isoUtc(NOW) },
      challenger: { version: "3", sinceIso: isoUtc(NOW + 10), alphaK: 0.05 },
      candidates: [{ version: "4", sinceIso: isoUtc(NOW + 20) }],
      previousChampion: { version: "1", sinceIso: isoUtc(NOW) },
      v1Backtest: { version: "1", sinceIso: isoUtc(CH) },
    });
    expect(s.swapRun?.decisionReason).toBe(swap.decisionReason);
    expect(s.lastEvaluations.map((r) => r.id)).toEqual([swap.runId + 1, swap.runId]);
    expect(s.lastEvaluations[1]).toMatchObject({
      outcome: "promoted",
      armAVersion: "1",
      armBVersion: "2",
      look: { index: 1, informationFraction: 0.25, nMaxPerArm: 1200, alphaK: 0.05 },
    });
    const text = formatStatus(s);
    expect(text).toContain(`champion:   2 since ${isoUtc(NOW)} — active_model.json arm v2_paper`);
    expect(text).toContain(`challenger: 3 since ${isoUtc(NOW + 10)} (α_k 0.05)`);
    expect(text).toContain("candidates: 4");
    expect(text).toMatch(new RegExp(`#${swap.runId} ${isoUtc(NOW)} evaluate → promoted look 1, z \\d+\\.\\d{3} vs 3\\.75\\d`));
    expect(text).toContain("      ✗ arm A has 0 of 100 trades");
  });
});

/** A shadow evaluation of champion 1 vs challenger 2 as the shadow step would hand it over. */
function shadowOf(over: Partial<ShadowEvaluation> = {}): ShadowEvaluation {
  return {
    status: "ok",
    reason: null,
    versionA: "1",
    versionB: "2",
    windowStartMs: S - 2 * DAY_MS,
    windowEndMs: NOW,
    bars: 20_000,
    minBars: 4500,
    symbols: ["BTCUSDT", "ETHUSDT"],
    perSymbol: [],
    horizonBars: 15,
    costPerSide: 0.001,
    thresholds: { a: 0.6, b: 0.62 },
    tradesA: 400,
    tradesB: 420,
    sharpeA: 0.01,
    sharpeB: 0.03,
    difference: 0.02,
    correlation: 0.7,
    meanA: 1e-5,
    meanB: 3e-5,
    jkmZ: 3.5,
    hacZ: 3.1,
    pBetter: 0.002,
    pWorse: 0.998,
    testStatus: "ok",
    method: { blockLength: 30, resamples: 2000, seed: 16, kernel: "parzen", bandwidth: 30 },
    curves: { ts: [S, NOW], a: [0, 0.1], b: [0, 0.3] },
    ...over,
  };
}

describe("runAbEvaluation with the shadow step's result", () => {
  it("records the shadow run with the A/B run it fed, and the table's shadow_not_worse condition", () => {
    betterChallenger();
    const s = run("evaluate", { shadow: shadowOf() });
    expect(s.outcome).toBe("promoted");
    expect(s.conditions.find((c) => c.name === "shadow_not_worse")).toMatchObject({ value: 0.998, passed: true });
    const rows = listShadowRuns(conn);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ abRunId: s.runId, versionA: "1", versionB: "2", status: "ok", bars: 20_000, pWorse: 0.998, hacZ: 3.1 });
    expect(rows[0]!.curves).toEqual({ ts: [S, NOW], a: [0, 0.1], b: [0, 0.3] });
    expect(s.shadow).toMatchObject({ id: rows[0]!.id, status: "ok", pWorse: 0.998 });
    expect(runRows()[0]).toMatchObject({ evidence: "paper" });
  });

  it("a shadow test that finds the challenger worse blocks a promotion the paper A/B would make", () => {
    betterChallenger();
    const s = run("evaluate", { shadow: shadowOf({ sharpeB: 0.001, pWorse: 0.004, pBetter: 0.996, hacZ: -2.9 }) });
    expect(s.outcome).toBe("continue");
    expect(s.swapExecuted).toBe(false);
    expect(s.conditions.find((c) => c.name === "shadow_not_worse")).toMatchObject({ value: 0.004, passed: false });
    expect(s.decisionReason).toContain("shadow p(B worse) 0.004 < 0.05 ✗");
    expect(currentRoles(conn).champion!.version).toBe("1");
  });

  it("a failed shadow step blocks the swap with its reason in the run row; a shadow result of another pair is not used", () => {
    betterChallenger();
    const failed = run("evaluate", { shadow: shadowOf({ status: "failed", reason: "model file /m/2/direction.bin fails its sha256 check", pWorse: null }) });
    expect(failed.outcome).toBe("continue");
    expect(runRows()[0]!["decision_reason"]).toContain("shadow evaluation failed: model file /m/2/direction.bin fails its sha256 check ✗");
    expect(listShadowRuns(conn)[0]).toMatchObject({ status: "failed", reason: "model file /m/2/direction.bin fails its sha256 check" });
    const other = run("evaluate", { shadow: shadowOf({ versionB: "3", pWorse: 0.001 }) });
    expect(other.conditions.find((c) => c.name === "shadow_not_worse")).toMatchObject({ passed: true, text: "shadow evaluation: not run" });
  });

  it("MLQ_AB_EVIDENCE=shadow decides on the paired z alone, records evidence 'shadow' and keeps its own looks", () => {
    world();
    // No paper trades at all: a bot that trades a single arm.
    const shadowPolicy: AbPolicy = { ...POLICY, evidence: "shadow" };
    const weak = run("evaluate", { shadow: shadowOf({ hacZ: 2 }) }, shadowPolicy);
    expect(weak.outcome).toBe("continue");
    expect(weak.evidence).toBe("shadow");
    const row = runRows()[0]!;
    expect(row).toMatchObject({ evidence: "shadow", look_index: 1, z_stat: 2, n_max_per_arm: expect.any(Number) });
    // n_max = 20,000 bars over the window's 17 days, extrapolated to the challenger's 60-day expiry from S.
    expect(row["n_max_per_arm"]).toBe(Math.round((20_000 * (S + 60 * DAY_MS - (S - 2 * DAY_MS))) / (NOW - (S - 2 * DAY_MS))));
    const strong = run("evaluate", { shadow: shadowOf({ hacZ: 6 }), nowMs: NOW + DAY_MS }, shadowPolicy);
    expect(strong.outcome).toBe("promoted");
    expect(strong.evaluation.look).toBe(2);
    expect(strong.conditions.map((c) => c.name)).toEqual(["shadow_bars", "shadow_sharpe_b_ge_a", "shadow_mean_b_positive", "sequential_boundary", "champion_not_pinned"]);
    expect(currentRoles(conn).champion!.version).toBe("2");
  });

  it("MLQ_AB_EVIDENCE=shadow never swaps without a usable shadow result", () => {
    world();
    const shadowPolicy: AbPolicy = { ...POLICY, evidence: "shadow" };
    expect(run("evaluate", { shadow: shadowOf({ status: "insufficient", reason: "3000 bars", hacZ: null, pWorse: null }) }, shadowPolicy).outcome).toBe("continue");
    expect(run("evaluate", {}, shadowPolicy).outcome).toBe("continue");
    expect(currentRoles(conn).champion!.version).toBe("1");
  });
});
