// The promotion loop over several cycles, through the real queues and worker processes:
// retrain (first champion) → retrain (candidate takes the free slot as challenger) → retrain while
// the challenger is evaluated (waits as candidate) → A/B promotes the challenger and the waiting
// candidate takes the slot → A/B lets a worse challenger expire and the next candidate takes the
// slot → the champion decays and the hourly monitor rolls it back to the previous champion. At every step active_model.json, the pointers, ab_active_model and the role history agree,
// and each arm holds exactly the trades the test wrote for it.
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AbSummary } from "@mlq/ab";
import { createRng, DAY_MS } from "@mlq/core";
import { readPointer } from "@mlq/registry";
import { appendTicks, DEMO_END_MS, E2eFixture, demoDb, sleep, sqlRows } from "./support.js";

/** A challenger's evaluation ends at the first look after 1.7 s: every look below is the last (information 1). */
const MAX_DAYS = 0.00002;
const MAX_MS = MAX_DAYS * 86_400_000;

interface Trade {
  openedMs: number;
  pnlPct: number;
  modelArm?: string | null;
  modelVersion?: string | null;
}

/** The bot's side: it writes closed paper trades (and, from the first write on, a model_version column). */
function writeTrades(dbPath: string, trades: Trade[]): void {
  const db = new Database(dbPath);
  try {
    const cols = (db.prepare("PRAGMA table_info(paper_trades)").all() as { name: string }[]).map((c) => c.name);
    if (!cols.includes("model_version")) db.exec("ALTER TABLE paper_trades ADD COLUMN model_version TEXT");
    const insert = db.prepare(
      `INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct, model_arm, model_version)
       VALUES ('BTC-USDT', 'long', 'closed', ?, ?, ?, ?, ?)`,
    );
    db.transaction(() => {
      for (const t of trades) insert.run(t.openedMs, t.openedMs + 1, t.pnlPct, t.modelArm ?? null, t.modelVersion ?? null);
    })();
  } finally {
    db.close();
  }
}

/** n trades opened evenly in [fromMs, toMs), returns mean + N(0, 1) from a seeded stream. */
function trades(n: number, fromMs: number, toMs: number, mean: number, seed: string, tag: Pick<Trade, "modelArm" | "modelVersion">): Trade[] {
  const rng = createRng(7, seed);
  return Array.from({ length: n }, (_, i) => ({ openedMs: Math.floor(fromMs + ((toMs - fromMs) * i) / n), pnlPct: mean + rng.normal(), ...tag }));
}

type Event = { event: string; version: string; role: string; trigger: string | null; ts_ms: number };

describe("promotion loop through real queues", () => {
  let fx: E2eFixture;
  beforeEach(() => {
    fx = new E2eFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  const events = () => sqlRows<Event>(fx.dbPath, "SELECT event, version, role, trigger, ts_ms FROM model_role_events ORDER BY id");
  const eventOf = (name: string, version: string) => events().find((e) => e.event === name && e.version === version)!;

  /** The files, ab_active_model and the role history name the same champion and challenger. */
  function expectAgreement(champion: string, challenger: string | null, candidates: string[]): void {
    const active = JSON.parse(readFileSync(join(fx.modelsDir, "active_model.json"), "utf8")) as { version: string; version_dir: string };
    expect(active.version).toBe(champion);
    const row = sqlRows<{ version_dir: string }>(fx.dbPath, "SELECT version_dir FROM ab_active_model WHERE id = 1")[0]!;
    expect(basename(row.version_dir)).toBe(champion);
    if (challenger) expect(readPointer(fx.modelsDir, "v2_paper")?.version).toBe(challenger);
    const newest = candidates[candidates.length - 1];
    if (newest) expect(readPointer(fx.modelsDir, "candidate")?.version).toBe(newest);
    else expect(existsSync(join(fx.modelsDir, "pointers", "candidate.json"))).toBe(false);
  }

  it("registers, evaluates, promotes, lets a worse challenger expire, and hands the slot on — every step audited", async () => {
    await demoDb(fx.dbPath); // history from 2025: every one of its trades is outside today's evaluations
    await fx.startWorkers(["worker-retrain", "worker-ab", "worker-monitor"], { MLQ_CHALLENGER_MAX_DAYS: String(MAX_DAYS) });
    const producer = fx.producer();
    const wait = { timeoutMs: 120_000, pollMs: 100 };
    const retrain = async () => (await producer.waitForJob("retrain", (await producer.enqueue("retrain", { trigger: "force" }, { requestedBy: "e2e" })).jobId, wait)) as { version: string; registered: { role: string } };
    const abEval = async () => (await producer.waitForJob("ab-eval", (await producer.enqueue("ab-eval", { action: "evaluate" }, { requestedBy: "e2e" })).jobId, wait)) as unknown as AbSummary;

    // 1. The first trained set is champion and baseline; nothing is under evaluation.
    const r1 = await retrain();
    expect(r1.registered.role).toBe("champion");
    expectAgreement(r1.version, null, []);
    expect(readPointer(fx.modelsDir, "v1_backtest")?.version).toBe(r1.version);

    // 2. The second takes the free slot at once.
    const r2 = await retrain();
    expect(r2.registered.role).toBe("challenger");
    expectAgreement(r1.version, r2.version, []);
    const slot2 = eventOf("take_slot", r2.version).ts_ms;
    // Six days of ticks after both versions' training + embargo: bars for the shadow evaluation.
    appendTicks(fx.dbPath, { fromMs: DEMO_END_MS + 2 * DAY_MS, days: 6 });

    // The bot trades both versions, tagging model_version; one trade names a version mlq never made.
    await sleep(MAX_MS + 200);
    const to2 = Date.now() - 10;
    writeTrades(fx.dbPath, [
      ...trades(150, slot2, to2, 0.05, "a1", { modelVersion: r1.version }),
      ...trades(140, slot2, to2, 0.6, "b1", { modelVersion: r2.version }),
      { openedMs: slot2 + 5, pnlPct: 9, modelVersion: "v999-unknown" },
    ]);

    // 3. A retrain while the challenger is evaluated waits as candidate.
    const r3 = await retrain();
    expect(r3.registered.role).toBe("candidate");
    expectAgreement(r1.version, r2.version, [r3.version]);

    // 4. The A/B look (the last: the evaluation has expired, information 1) promotes the challenger.
    const ab1 = await abEval();
    expect(ab1).toMatchObject({ outcome: "promoted", splitMethod: "model_version", champion: r2.version, challenger: r3.version, waitingCandidates: [] });
    expect(ab1.armA).toMatchObject({ version: r1.version, metrics: { trades: 150 } });
    expect(ab1.armB).toMatchObject({ version: r2.version, metrics: { trades: 140 } });
    expect(ab1.attribution).toMatchObject({ unknownVersion: 1, unknownVersions: ["v999-unknown"] });
    expect(ab1.evaluation).toMatchObject({ look: 1, informationFraction: 1, expired: true, alphaK: 0.05 });
    expect(ab1.evaluation.boundary).toBeCloseTo(1.6449, 3); // one look at full information spends all of α = 0.05
    expect(ab1.conditions.every((c) => c.passed)).toBe(true);
    expect(ab1.roleChanges).toEqual([`promote ${r2.version}`, `take_slot ${r3.version}`]);
    expectAgreement(r2.version, r3.version, []);
    expect(readPointer(fx.modelsDir, "v2_paper_prev")?.version).toBe(r2.version);
    const abRow1 = sqlRows<Record<string, unknown>>(fx.dbPath, "SELECT * FROM ab_test_runs WHERE id = ?", ab1.runId)[0]!;
    expect(abRow1).toMatchObject({ arm_a_version: r1.version, arm_b_version: r2.version, look_index: 1, info_fraction: 1, alpha_k: 0.05, swap_executed: 1, outcome: "promoted", split_method: "model_version" });
    expect(JSON.parse(String(abRow1["conditions"])).map((c: { name: string }) => c.name)).toEqual([
      "trades_a",
      "trades_b",
      "sharpe_b_ge_a",
      "expectancy_b_positive",
      "sequential_boundary",
      "shadow_not_worse",
      "champion_not_pinned",
    ]);
    // The job's shadow step scored r1 and r2 on the same appended bars (candles brought up to date first).
    expect(ab1.shadow).toMatchObject({ status: "ok", versionA: r1.version, versionB: r2.version, symbols: ["BTC-USDT", "ETH-USDT"] });
    expect(ab1.shadow!.bars).toBeGreaterThan(2 * 5 * 1440);
    const shadowRow = sqlRows<Record<string, unknown>>(fx.dbPath, "SELECT * FROM shadow_eval_runs WHERE ab_run_id = ?", ab1.runId)[0]!;
    expect(shadowRow).toMatchObject({ version_a: r1.version, version_b: r2.version, status: "ok", bars: ab1.shadow!.bars, p_worse: ab1.shadow!.pWorse });
    const prev = sqlRows<{ previous_version_dir: string }>(fx.dbPath, "SELECT previous_version_dir FROM ab_active_model")[0]!;
    expect(basename(prev.previous_version_dir)).toBe(r1.version);

    // 5. Another retrain waits behind challenger r3.
    const r4 = await retrain();
    expect(r4.registered.role).toBe("candidate");
    const slot3 = eventOf("take_slot", r3.version).ts_ms;
    const promoted = eventOf("promote", r2.version).ts_ms;

    // The bot now tags model_arm only. v2_paper trades opened before r3 took the slot were r2's
    // (then challenger, now champion) and fall outside this evaluation, as do r1's old ones.
    await sleep(MAX_MS + 200);
    const to3 = Date.now() - 10;
    writeTrades(fx.dbPath, [
      ...trades(30, slot2, promoted - 1, 0.6, "b-before", { modelArm: "v2_paper" }),
      ...trades(120, slot3, to3, 0.3, "a2", { modelArm: "v1_backtest" }),
      ...trades(130, slot3, to3, -0.4, "b2", { modelArm: "v2_paper" }),
    ]);

    // 6. The worse challenger's evaluation ends at its last look without crossing: it expires and r4 takes the slot.
    const ab2 = await abEval();
    expect(ab2).toMatchObject({ outcome: "expired", splitMethod: "model_version", champion: r2.version, challenger: r4.version });
    expect(ab2.armA).toMatchObject({ version: r2.version, metrics: { trades: 120 } });
    expect(ab2.armB).toMatchObject({ version: r3.version, metrics: { trades: 130 } });
    expect(ab2.conditions.find((c) => c.name === "sequential_boundary")).toMatchObject({ passed: false });
    expect(ab2.roleChanges).toEqual([`expire ${r3.version}`, `take_slot ${r4.version}`]);
    expectAgreement(r2.version, r4.version, []);

    // 7. The champion decays: its live trades since it took the role lose steadily; the monitor's CUSUM
    // alarms and it rolls back to the previous champion through the A/B's atomic path.
    writeTrades(fx.dbPath, trades(150, promoted + 1, Date.now() - 10, -1.5, "decay", { modelVersion: r2.version }));
    const mon = (await producer.waitForJob("monitor", (await producer.enqueue("monitor", {}, { requestedBy: "e2e" })).jobId, wait)) as unknown as {
      action: string;
      champion: string | null;
      trades: number;
    };
    // The watched champion r2 had 120 model_arm trades (arm A of the last evaluation) and the 150 decaying ones.
    expect(mon).toMatchObject({ action: "rolled-back", champion: r2.version, trades: 270 });
    expectAgreement(r1.version, r4.version, []);
    const rollbackRow = sqlRows<{ action: string; swap_executed: number; outcome: string }>(fx.dbPath, "SELECT action, swap_executed, outcome FROM ab_test_runs ORDER BY id DESC LIMIT 1")[0]!;
    expect(rollbackRow).toEqual({ action: "rollback", swap_executed: 1, outcome: "rolled-back" });
    // The evaluation of r4 restarts against the restored champion.
    const status = (await producer.waitForJob("ab-eval", (await producer.enqueue("ab-eval", { action: "dry-run" }, { requestedBy: "e2e" })).jobId, wait)) as unknown as AbSummary;
    expect(status.evaluation.startIso).toBe(new Date(eventOf("rollback", r1.version).ts_ms).toISOString());

    // The history tells the whole story, each change with its trigger.
    expect(events().map((e) => [e.event, e.version, e.role, e.trigger])).toEqual([
      ["register", r1.version, "champion", "force"],
      ["register", r2.version, "candidate", "force"],
      ["take_slot", r2.version, "challenger", null],
      ["register", r3.version, "candidate", "force"],
      ["promote", r2.version, "champion", "ab-eval"],
      ["take_slot", r3.version, "challenger", null],
      ["register", r4.version, "candidate", "force"],
      ["expire", r3.version, "none", "ab-eval"],
      ["take_slot", r4.version, "challenger", null],
      ["rollback", r1.version, "champion", "monitor"],
    ]);
  });
});
