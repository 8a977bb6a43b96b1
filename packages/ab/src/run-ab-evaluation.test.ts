import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConfigError, DAY_MS, InputDataError, ModelIntegrityError, OutputError, TransientDbError, type Logger } from "@mlq/core";
import { openMigrated, type Connection } from "@mlq/db";
import { abStatus, formatStatus } from "./ab-status.js";
import { activeModelPath, readActiveModel, readActiveState, type ArmLabel, type ArmModel, type ResolveArmModel } from "@mlq/registry";
import { runAbEvaluation, type AbAction, type AbDeps } from "./run-ab-evaluation.js";

const T0 = Date.UTC(2026, 8, 1);
const RETRAIN_TS = T0 + 30 * DAY_MS;
const NOW = T0 + 90 * DAY_MS;
const POLICY = { minTradesPerArm: 100, minConfidence: 0.9 };

let dir: string;
let modelsDir: string;
let conn: Connection;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-ab-"));
  modelsDir = join(dir, "models");
  conn = openMigrated(join(dir, "bot.db"), { create: true });
});
afterEach(() => {
  conn.close();
  rmSync(dir, { recursive: true, force: true });
});

interface TradeRow {
  closedTsMs: number | null;
  pnlPct: number | null;
  modelArm?: string | null;
  status?: string;
}

function insertTrades(rows: TradeRow[]): void {
  const hasArm = conn.sqlite.prepare("SELECT 1 FROM pragma_table_info('paper_trades') WHERE name = 'model_arm'").get() !== undefined;
  const stmt = conn.sqlite.prepare(
    `INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct${hasArm ? ", model_arm" : ""})
     VALUES ('BTC-USDT', 'long', ?, ?, ?, ?${hasArm ? ", ?" : ""})`,
  );
  conn.sqlite.transaction(() => {
    for (const r of rows) {
      const args: unknown[] = [r.status ?? "closed", (r.closedTsMs ?? T0) - 60_000, r.closedTsMs, r.pnlPct];
      if (hasArm) args.push(r.modelArm ?? null);
      stmt.run(...args);
    }
  })();
}

/** `n` trades closed every 2 h from `start`, returns mean + wave (deterministic, non-constant). */
function series(n: number, start: number, mean: number, amplitude = 1, modelArm: string | null = null): TradeRow[] {
  return Array.from({ length: n }, (_, i) => ({ closedTsMs: start + i * 2 * 3_600_000, pnlPct: mean + amplitude * Math.sin(i * 1.7 + 0.3), modelArm }));
}

function addRetrain(tsMs: number, success = 1): void {
  conn.sqlite
    .prepare("INSERT INTO phase2_retrain_runs (ts_ms, ts_iso, trigger_reason, success, status, models_trained) VALUES (?, ?, 'scheduled', ?, 'done', 5)")
    .run(tsMs, new Date(tsMs).toISOString(), success);
}

const MODELS: Record<ArmLabel, ArmModel> = {
  v1_backtest: { version: "run-1", versionDir: "", manifestSha256: "a".repeat(64) },
  v2_paper: { version: "run-7", versionDir: "", manifestSha256: "b".repeat(64) },
};

function registry(overrides: Partial<Record<ArmLabel, ArmModel | Error>> = {}): ResolveArmModel {
  return (arm) => {
    const o = overrides[arm];
    if (o instanceof Error) throw o;
    const m = o ?? MODELS[arm];
    const versionDir = join(modelsDir, m.version);
    mkdirSync(versionDir, { recursive: true });
    return { ...m, versionDir };
  };
}

function run(action: AbAction, deps: Partial<AbDeps> = {}, policy = POLICY) {
  return runAbEvaluation({ conn, modelsDir, resolveArmModel: registry(), nowMs: NOW, jobId: "job-1", ...deps }, { action, policy });
}

function runRows() {
  return conn.sqlite.prepare("SELECT * FROM ab_test_runs ORDER BY id").all() as Record<string, unknown>[];
}

/** A clearly better arm B after the retrain: 300 trades each side. */
function betterB(): void {
  addRetrain(RETRAIN_TS);
  insertTrades([...series(300, T0, 0.02), ...series(300, RETRAIN_TS + 3_600_000, 0.4)]);
}

describe("runAbEvaluation", () => {
  it("records 'not ready' without swapping when arm B has too few trades", () => {
    addRetrain(RETRAIN_TS);
    insertTrades([...series(212, T0, 0.05), ...series(61, RETRAIN_TS + 1, 0.3)]);
    const s = run("evaluate");
    expect(s.decision?.ready).toBe(false);
    expect(s.swapExecuted).toBe(false);
    expect(s.activeArm).toBe("v1_backtest");
    expect(s.decisionReason).toMatch(/^not ready: arm A has 212 of 100 trades ✓; arm B has 61 of 100 trades \(needs 39 more\) ✗; MinTRL at 95%: /);
    const [row] = runRows();
    expect(row).toMatchObject({ split_method: "temporal", arm_a_trades: 212, arm_b_trades: 61, swap_recommended: 0, swap_executed: 0, dry_run: 0, action: "evaluate", job_id: "job-1" });
    expect(readActiveState(conn)).toBeNull();
    expect(readActiveModel(modelsDir)).toBeNull();
  });

  it("swaps to B in one transaction and writes active_model.json beside the models", () => {
    betterB();
    const s = run("evaluate");
    expect(s.splitMethod).toBe("temporal");
    expect(s.splitBoundaryIso).toBe(new Date(RETRAIN_TS).toISOString());
    expect(s.swapRecommended).toBe(true);
    expect(s.swapExecuted).toBe(true);
    expect(s.activeArm).toBe("v2_paper");
    expect(s.decisionReason).toMatch(/^ready: A 300 trades, B 300 trades; Sharpe B .* ✓; expectancy B .* ✓; P\(B better\) 1\.00 ≥ 0\.90 ✓ → swap; swapped to v2_paper run-7$/);

    const state = readActiveState(conn)!;
    expect(state).toEqual({
      activeArm: "v2_paper",
      versionDir: join(modelsDir, "run-7"),
      manifestSha256: "b".repeat(64),
      swappedAt: new Date(NOW).toISOString(),
      swapRunId: s.runId,
      previousArm: "v1_backtest",
      previousVersionDir: join(modelsDir, "run-1"),
      previousManifestSha256: "a".repeat(64),
    });
    const file = JSON.parse(readFileSync(activeModelPath(modelsDir), "utf8")) as Record<string, unknown>;
    expect(file).toEqual({
      arm: "v2_paper",
      version: "run-7",
      version_dir: join(modelsDir, "run-7"),
      manifest_sha256: "b".repeat(64),
      swapped_at: new Date(NOW).toISOString(),
      run_id: s.runId,
    });
    expect(runRows()[0]).toMatchObject({ id: s.runId, swap_recommended: 1, swap_executed: 1 });
  });

  it("does not swap again when the same B version is already active (previous_* kept)", () => {
    betterB();
    const first = run("evaluate");
    const second = run("evaluate", { nowMs: NOW + DAY_MS });
    expect(second.swapRecommended).toBe(true);
    expect(second.swapExecuted).toBe(false);
    expect(second.decisionReason).toContain("NOT swapped: v2_paper run-7 is already active, nothing to change");
    expect(readActiveState(conn)).toMatchObject({ swapRunId: first.runId, previousArm: "v1_backtest", previousVersionDir: join(modelsDir, "run-1") });
  });

  it("splits by model_arm when the bot tags trades, ignoring the retrain boundary", () => {
    addRetrain(NOW);
    insertTrades([...series(150, T0, 0.02, 1, "v1_backtest"), ...series(120, T0 + 3_600_000, 0.5, 1, "v2_paper"), ...series(7, T0, 0.1, 1, null)]);
    const s = run("dry-run");
    expect(s.splitMethod).toBe("model_arm");
    expect(s.untaggedTrades).toBe(7);
    expect([s.armA.metrics?.trades, s.armB.metrics?.trades]).toEqual([150, 120]);
    expect(runRows()[0]).toMatchObject({ split_method: "model_arm" });
  });

  it("falls back to the temporal split on an older database without model_arm", () => {
    conn.sqlite.exec("DROP TABLE paper_trades");
    conn.sqlite.exec(
      "CREATE TABLE paper_trades (id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, side TEXT NOT NULL, status TEXT NOT NULL, opened_ts_ms INTEGER NOT NULL, closed_ts_ms INTEGER, pnl_pct REAL)",
    );
    betterB();
    const s = run("evaluate");
    expect(s.splitMethod).toBe("temporal");
    expect(s.swapExecuted).toBe(true);
  });

  it("dry-run never swaps but records what it would do", () => {
    betterB();
    const s = run("dry-run");
    expect(s.swapRecommended).toBe(true);
    expect(s.swapExecuted).toBe(false);
    expect(s.decisionReason).toMatch(/^DRY RUN: ready: .* → swap; would swap to v2_paper run-7$/);
    expect(runRows()[0]).toMatchObject({ dry_run: 1, action: "evaluate", swap_recommended: 1, swap_executed: 0 });
    expect(readActiveState(conn)).toBeNull();
    expect(readActiveModel(modelsDir)).toBeNull();
  });

  it("force-swap swaps against the numbers and says so", () => {
    addRetrain(RETRAIN_TS);
    insertTrades([...series(300, T0, 0.4), ...series(300, RETRAIN_TS + 1, -0.1)]);
    const s = run("force-swap");
    expect(s.swapRecommended).toBe(false);
    expect(s.swapExecuted).toBe(true);
    expect(s.decisionReason).toMatch(/^FORCED swap to v2_paper run-7 regardless of the numbers \(ready: .* → no swap\)$/);
    expect(runRows()[0]).toMatchObject({ action: "force-swap", swap_executed: 1, swap_recommended: 0 });
    expect(readActiveModel(modelsDir)?.arm).toBe("v2_paper");
  });

  it("rollback returns to the previous arm and version, and a second rollback toggles back", () => {
    betterB();
    const swap = run("evaluate");
    const back = run("rollback", { nowMs: NOW + 1000 });
    expect(back.swapExecuted).toBe(true);
    expect(back.activeArm).toBe("v1_backtest");
    expect(back.decisionReason).toMatch(/^ROLLBACK from v2_paper run-7 to v1_backtest run-1 \(/);
    expect(runRows()[1]).toMatchObject({ action: "rollback", swap_executed: 1 });
    expect(readActiveState(conn)).toMatchObject({
      activeArm: "v1_backtest",
      versionDir: join(modelsDir, "run-1"),
      manifestSha256: "a".repeat(64),
      swapRunId: back.runId,
      previousArm: "v2_paper",
      previousVersionDir: join(modelsDir, "run-7"),
    });
    expect(readActiveModel(modelsDir)).toMatchObject({ arm: "v1_backtest", version: "run-1", runId: back.runId });
    const again = run("rollback", { nowMs: NOW + 2000 });
    expect(again.activeArm).toBe("v2_paper");
    expect(again.activeAfter.versionDir).toBe(swap.activeAfter.versionDir);
  });

  it("refuses a rollback when nothing was swapped, and still records it", () => {
    betterB();
    const s = run("rollback");
    expect(s.swapExecuted).toBe(false);
    expect(s.decisionReason).toMatch(/^ROLLBACK refused: nothing to roll back/);
    expect(runRows()[0]).toMatchObject({ action: "rollback", swap_executed: 0 });
  });

  it("rolls back even when the database has no paper_trades table", () => {
    betterB();
    run("evaluate");
    conn.sqlite.exec("DROP TABLE paper_trades");
    const s = run("rollback");
    expect(s.swapExecuted).toBe(true);
    expect(s.armA.metrics).toBeNull();
    expect(runRows()[1]).toMatchObject({ action: "rollback", split_method: null, arm_a_trades: null });
  });

  it.each([
    ["missing", new ModelIntegrityError("v2_paper pointer names models/run-9, which does not exist")],
    ["corrupt", new ModelIntegrityError("sha256 mismatch for models/run-7/direction.json")],
    ["unreadable pointer", new InputDataError("registry pointer v2_paper is empty")],
  ])("does not swap when arm B's model is %s, and records why", (_label, error) => {
    betterB();
    const s = run("evaluate", { resolveArmModel: registry({ v2_paper: error }) });
    expect(s.swapRecommended).toBe(true);
    expect(s.swapExecuted).toBe(false);
    expect(s.decisionReason).toContain(`→ swap; NOT swapped: arm B model version missing or corrupt: ${error.message}`);
    expect(runRows()[0]).toMatchObject({ swap_recommended: 1, swap_executed: 0 });
    expect(readActiveState(conn)).toBeNull();
  });

  it("refuses a forced swap to a corrupt B model", () => {
    betterB();
    const s = run("force-swap", { resolveArmModel: registry({ v2_paper: new ModelIntegrityError("manifest.json truncated") }) });
    expect(s.swapExecuted).toBe(false);
    expect(s.decisionReason).toMatch(/^FORCED swap refused: arm B model version missing or corrupt: manifest\.json truncated/);
  });

  it("leaves a retryable error before the last attempt to the retry: thrown, no row (finalAttempt false)", () => {
    betterB();
    expect(() => run("evaluate", { resolveArmModel: registry({ v2_paper: new TransientDbError("busy") }), finalAttempt: false })).toThrow(TransientDbError);
    expect(runRows()).toHaveLength(0);
  });

  it.each([
    ["on the last attempt of a job", { finalAttempt: true }],
    ["when nothing retries (--local, the default)", {}],
  ])("records a retryable failure %s: success 0 with the error, nothing swapped", (_when, deps) => {
    betterB();
    expect(() => run("evaluate", { resolveArmModel: registry({ v2_paper: new TransientDbError("database busy writing to x.db") }), ...deps })).toThrow(TransientDbError);
    const rows = conn.sqlite.prepare("SELECT job_id, success, error_msg, swap_executed, decision_reason FROM ab_test_runs").all();
    expect(rows).toEqual([
      { job_id: "job-1", success: 0, error_msg: "database busy writing to x.db", swap_executed: 0, decision_reason: "FAILED: database busy writing to x.db" },
    ]);
    expect(readActiveState(conn)).toBeNull();
  });

  it("skips and counts NULL pnl_pct rows, and ignores open trades", () => {
    addRetrain(RETRAIN_TS);
    insertTrades([
      ...series(120, T0, 0.1),
      { closedTsMs: T0 + 5, pnlPct: null },
      { closedTsMs: T0 + 6, pnlPct: null },
      { closedTsMs: null, pnlPct: 3, status: "closed" },
      { closedTsMs: null, pnlPct: null, status: "open" },
    ]);
    const s = run("evaluate");
    expect(s.skippedNullPnl).toBe(2);
    expect(s.armA.metrics?.trades).toBe(120);
    const details = JSON.parse(String(runRows()[0]!["details"])) as Record<string, unknown>;
    expect(details["skippedNullPnl"]).toBe(2);
  });

  it("keeps NaN and Infinity out of the DB and the JSON for all-winning and zero-variance arms", () => {
    addRetrain(RETRAIN_TS);
    // A: 150 identical winners (zero variance, PF ∞); B: 150 winners of varying size (PF ∞).
    insertTrades([...series(150, T0, 0.2, 0), ...series(150, RETRAIN_TS + 1, 1, 0.5)]);
    const s = run("evaluate");
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s.armA.metrics).toMatchObject({ sharpe: null, profitFactor: null, profitFactorInfinite: true });
    expect(s.armB.metrics).toMatchObject({ profitFactor: null, profitFactorInfinite: true });
    expect(s.swapExecuted).toBe(false);
    expect(s.decisionReason).toContain("Sharpe of A undefined (zero variance) ✗");
    const row = runRows()[0]!;
    for (const [k, v] of Object.entries(row)) if (typeof v === "number") expect(Number.isFinite(v), k).toBe(true);
    expect(row).toMatchObject({ arm_a_pf: null, arm_b_pf: null, arm_a_sharpe: null, p_b_better: null });
    const details = JSON.parse(String(row["details"])) as { arms: Record<string, { profitFactorInfinite: boolean }> };
    expect(details.arms["v2_paper"]?.profitFactorInfinite).toBe(true);
  });

  it("treats all-losing arms as a plain no-swap with PF 0", () => {
    addRetrain(RETRAIN_TS);
    insertTrades([...series(150, T0, -1, 0.5), ...series(150, RETRAIN_TS + 1, -0.8, 0.5)]);
    const s = run("evaluate");
    expect(s.armB.metrics).toMatchObject({ profitFactor: 0, profitFactorInfinite: false, winRate: 0 });
    expect(s.decisionReason).toMatch(/expectancy B -0\.7\d+% ≤ 0 ✗/);
    expect(s.swapExecuted).toBe(false);
  });

  it("names the missing paper_trades table and the database", () => {
    conn.sqlite.exec("DROP TABLE paper_trades");
    expect(() => run("evaluate")).toThrow(InputDataError);
    expect(() => run("evaluate")).toThrow(`paper_trades table missing in ${conn.path}`);
    // Each failed attempt is still an audit row: success 0, the error, no swap.
    const rows = conn.sqlite.prepare("SELECT success, error_msg, swap_executed, decision_reason FROM ab_test_runs").all();
    expect(rows).toEqual([
      { success: 0, error_msg: `paper_trades table missing in ${conn.path}`, swap_executed: 0, decision_reason: `FAILED: paper_trades table missing in ${conn.path}` },
      { success: 0, error_msg: `paper_trades table missing in ${conn.path}`, swap_executed: 0, decision_reason: `FAILED: paper_trades table missing in ${conn.path}` },
    ]);
  });

  it("names a missing paper_trades column and the database", () => {
    conn.sqlite.exec("ALTER TABLE paper_trades DROP COLUMN pnl_pct");
    expect(() => run("evaluate")).toThrow(InputDataError);
    expect(conn.sqlite.prepare("SELECT error_msg FROM ab_test_runs").pluck().get()).toBe(`paper_trades.pnl_pct column missing in ${conn.path}`);
  });

  it("records successful evaluations with success = 1 and no error", () => {
    insertTrades(series(5, T0, 0.1));
    run("evaluate");
    expect(conn.sqlite.prepare("SELECT success, error_msg FROM ab_test_runs").all()).toEqual([{ success: 1, error_msg: null }]);
  });

  it.each([
    [{ minTradesPerArm: 0, minConfidence: 0.9 }, /minTradesPerArm must be an integer ≥ 2, got 0/],
    [{ minTradesPerArm: 100, minConfidence: 1.5 }, /minConfidence must be within \[0, 1\], got 1.5/],
    [{ minTradesPerArm: 100, minConfidence: Number.NaN }, /minConfidence must be within \[0, 1\], got NaN/],
  ])("rejects an invalid policy %o with ConfigError", (policy, message) => {
    expect(() => run("evaluate", {}, policy)).toThrow(ConfigError);
    expect(() => run("evaluate", {}, policy)).toThrow(message);
  });

  it("is deterministic for the same data", () => {
    betterB();
    const a = run("dry-run");
    const b = run("dry-run");
    expect({ ...b, runId: a.runId }).toEqual(a);
  });

  it("reports progress, and on an aborted signal records the timeout without evaluating or swapping", () => {
    betterB();
    const progress = vi.fn();
    run("dry-run", { progress });
    expect(progress.mock.calls.map((c) => (c[0] as { stage: string }).stage)).toEqual(["reconcile", "evaluate", "decide", "record", "done"]);
    const controller = new AbortController();
    controller.abort(new Error("ab-eval timed out after 1800000 ms"));
    expect(() => run("evaluate", { signal: controller.signal })).toThrow(/timed out/);
    const rows = runRows();
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ success: 0, swap_executed: 0, error_msg: "ab-eval timed out after 1800000 ms" });
  });
});

describe("active_model.json crash recovery", () => {
  const logger = () => ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }) satisfies Logger;

  it("keeps the committed swap when the file cannot be written, and the next status rewrites it", () => {
    betterB();
    // A directory where the pointer file belongs: the DB commit succeeds, the rename fails.
    mkdirSync(activeModelPath(modelsDir), { recursive: true });
    expect(() => run("evaluate")).toThrow(OutputError);
    // Still blocked at the start-of-run reconciliation; the DB already says v2_paper.
    expect(() => run("evaluate")).toThrow(OutputError);
    expect(readActiveState(conn)?.activeArm).toBe("v2_paper");
    expect(runRows().filter((r) => r["swap_executed"] === 1)).toHaveLength(1);

    rmSync(activeModelPath(modelsDir), { recursive: true });
    const log = logger();
    const status = abStatus(conn, modelsDir, { logger: log });
    expect(status.activeFile).toBe("rewritten");
    expect(status.activeArm).toBe("v2_paper");
    expect(readActiveModel(modelsDir)).toMatchObject({ arm: "v2_paper", version: "run-7", runId: readActiveState(conn)?.swapRunId });
    expect(log.warn).toHaveBeenCalledWith("active_model.json rewritten from ab_active_model", expect.objectContaining({ problem: "missing", arm: "v2_paper" }));
    expect(abStatus(conn, modelsDir).activeFile).toBe("in-sync");
  });

  it.each([
    ["stale (an older arm)", '{"arm":"v1_backtest","version":"run-1","run_id":1}'],
    ["truncated", '{"arm":"v2_pa'],
    ["not an object", "[]"],
  ])("every run first rewrites a %s file from the database", (_label, content) => {
    betterB();
    const swap = run("evaluate");
    writeFileSync(activeModelPath(modelsDir), content);
    const log = logger();
    const next = run("dry-run", { logger: log });
    expect(next.activeFileAtStart).toBe("rewritten");
    expect(log.warn).toHaveBeenCalledOnce();
    expect(readActiveModel(modelsDir)).toMatchObject({ arm: "v2_paper", runId: swap.runId });
  });

  it("leaves a file alone when nothing has been swapped yet", () => {
    mkdirSync(modelsDir, { recursive: true });
    writeFileSync(activeModelPath(modelsDir), '{"arm":"v1_backtest"}');
    expect(abStatus(conn, modelsDir).activeFile).toBe("no-db-state");
    expect(readFileSync(activeModelPath(modelsDir), "utf8")).toBe('{"arm":"v1_backtest"}');
  });
});

describe("abStatus", () => {
  it("defaults to v1_backtest before any swap", () => {
    const s = abStatus(conn, modelsDir);
    expect(s).toMatchObject({ activeArm: "v1_backtest", swapRun: null, previous: null, lastEvaluations: [] });
    expect(formatStatus(s)).toContain("never swapped (default arm)");
  });

  it("returns the active arm, its version, when and why it was swapped, and the last N runs", () => {
    betterB();
    run("dry-run", { nowMs: NOW - 1000 });
    const swap = run("evaluate");
    run("dry-run", { nowMs: NOW + 1000 });
    const s = abStatus(conn, modelsDir, { last: 2 });
    expect(s.active).toEqual({
      arm: "v2_paper",
      version: "run-7",
      versionDir: join(modelsDir, "run-7"),
      manifestSha256: "b".repeat(64),
      swappedAt: new Date(NOW).toISOString(),
      swapRunId: swap.runId,
    });
    expect(s.swapRun?.decisionReason).toBe(swap.decisionReason);
    expect(s.previous).toEqual({ arm: "v1_backtest", versionDir: join(modelsDir, "run-1"), manifestSha256: "a".repeat(64) });
    expect(s.lastEvaluations.map((r) => r.id)).toEqual([swap.runId + 1, swap.runId]);
    expect(s.lastEvaluations[0]).toMatchObject({ dryRun: true, swapExecuted: false });
    const text = formatStatus(s);
    expect(text).toContain("active arm: v2_paper (version run-7)");
    expect(text).toContain(`#${swap.runId} ${new Date(NOW).toISOString()} evaluate SWAPPED: ready:`);
  });
});
