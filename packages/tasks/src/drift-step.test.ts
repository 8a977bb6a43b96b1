import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "@mlq/core";
import { openMigrated, type Connection } from "@mlq/db";
import { simulateDemoCandles, type DemoCandles } from "@mlq/demo-data";
import { latestDriftCheck, versionDriftSince } from "@mlq/ml";
import { fillSlotWithAlpha, registerVersion } from "@mlq/registry";
import { runDriftStep, type DriftStepDeps } from "./drift-step.js";
import { insertCandles, saveDriftVersion } from "./drift-simulation.test-util.js";

const T0 = Date.UTC(2026, 0, 5);
const TRAIN_TO = T0 + 14 * DAY_MS;
/** Two days after training; the run at :05 past the last whole hour. */
const NOW = TRAIN_TO + 2 * DAY_MS + 5 * MINUTE_MS;
const POLICY = { retrain: true, cooldownHours: 24 };

let dir: string;
let conn: Connection;
let modelsDir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-drift-"));
  modelsDir = join(dir, "models");
  conn = openMigrated(join(dir, "trading.db"), { create: true });
});
afterEach(() => {
  conn.close();
  rmSync(dir, { recursive: true, force: true });
});

function market(trendShift: number, symbols = ["BTC-USDT", "ETH-USDT"]): DemoCandles[] {
  return simulateDemoCandles({ seed: 3, symbols, fromMs: T0, minutes: 16 * 1440, shiftFromMs: TRAIN_TO, trendShift });
}

function deps(extra: Partial<DriftStepDeps> = {}): DriftStepDeps & { enqueued: string[] } {
  const enqueued: string[] = [];
  return {
    conn,
    modelsDir,
    nowMs: NOW,
    jobId: "job-1",
    enqueueRetrain: async (requestedBy) => {
      enqueued.push(requestedBy);
      return { jobId: `retrain-${enqueued.length}`, deduplicated: false };
    },
    enqueued,
    ...extra,
  };
}

describe("runDriftStep", () => {
  it("records the champion's PSIs and enqueues one drift retrain on a planted trend; the next run is inside the cooldown", async () => {
    const candles = market(0.3);
    insertCandles(conn, candles);
    await saveDriftVersion(modelsDir, 1, candles, TRAIN_TO);
    registerVersion(conn, modelsDir, { version: "1", runId: null, trigger: "scheduled", nowMs: TRAIN_TO });

    const d = deps();
    const s = await runDriftStep(d, POLICY);
    expect(s).toMatchObject({
      status: "scored",
      triggered: true,
      action: "enqueued",
      retrainJobId: "retrain-1",
      champion: { version: "1", status: "scored" },
    });
    expect(s.windowToIso).toBe(new Date(NOW - 5 * MINUTE_MS).toISOString());
    expect(d.enqueued).toHaveLength(1);
    expect(d.enqueued[0]).toMatch(/^monitor: version 1: drift on /);
    const latest = latestDriftCheck(conn)!;
    expect(latest.check).toMatchObject({
      id: s.checkId,
      action: "enqueued",
      triggered: true,
      jobId: "job-1",
      retrainJobId: "retrain-1",
      champion: "1",
    });
    // 2 symbols × (11 features + the direction probabilities).
    expect(latest.rows).toHaveLength(24);
    const over = latest.rows.filter((r) => r.over);
    expect(over.length).toBeGreaterThanOrEqual(3);
    for (const r of over) expect(r.psi).toBeGreaterThan(r.threshold!);
    expect(latest.rows.every((r) => r.windowHours === 24 && r.bars === 1440 && r.role === "champion")).toBe(true);
    expect(latest.rows.filter((r) => r.feature === "p_direction").every((r) => Number.isFinite(r.psi) && r.threshold === null)).toBe(true);

    // An hour later the rule still fires, inside the cooldown: nothing enqueued, and said so.
    const again = deps({ nowMs: NOW + HOUR_MS });
    const s2 = await runDriftStep(again, POLICY);
    expect(s2).toMatchObject({ triggered: true, action: "cooldown", retrainJobId: null });
    expect(s2.reason).toContain("inside the 24 h cooldown");
    expect(again.enqueued).toEqual([]);

    // The version card's "drift since training".
    const since = versionDriftSince(conn, "1")!;
    expect(since).toMatchObject({ checks: 2, fired: 2, retrains: 1, latest: { checkId: s2.checkId, role: "champion", windowHours: 24 } });
    expect(since.latest!.symbols.map((x) => x.symbol)).toEqual(["BTC-USDT", "ETH-USDT"]);
    expect(Math.max(...since.latest!.symbols.map((x) => x.featuresOver))).toBeGreaterThanOrEqual(3);
    for (const x of since.latest!.symbols) expect(x.features).toBe(11);
    expect(versionDriftSince(conn, "9")).toBeNull();
  });

  it("reports a deduplicated enqueue (a retrain already waiting), a --local run without a queue, and MLQ_DRIFT_RETRAIN=false", async () => {
    const candles = market(0.3);
    insertCandles(conn, candles);
    await saveDriftVersion(modelsDir, 1, candles, TRAIN_TO);
    registerVersion(conn, modelsDir, { version: "1", runId: null, trigger: "scheduled", nowMs: TRAIN_TO });

    const off = await runDriftStep(deps(), { ...POLICY, retrain: false });
    expect(off).toMatchObject({ triggered: true, action: "disabled" });
    const local = await runDriftStep(deps({ enqueueRetrain: undefined }), POLICY);
    expect(local).toMatchObject({ action: "not-enqueued" });
    expect(local.reason).toContain("no queue in this run (--local)");
    const dup = await runDriftStep(deps({ enqueueRetrain: async () => ({ jobId: "retrain-9", deduplicated: true }) }), POLICY);
    expect(dup).toMatchObject({ action: "deduplicated", retrainJobId: "retrain-9" });
    // None of those started the cooldown.
    expect((await runDriftStep(deps(), POLICY)).action).toBe("enqueued");
  });

  it("stays quiet on the same market without a shift, and scores the challenger too without acting on it", async () => {
    const candles = market(0);
    insertCandles(conn, candles);
    await saveDriftVersion(modelsDir, 1, candles, TRAIN_TO);
    await saveDriftVersion(modelsDir, 2, candles, TRAIN_TO - DAY_MS);
    registerVersion(conn, modelsDir, { version: "1", runId: null, trigger: "scheduled", nowMs: TRAIN_TO });
    registerVersion(conn, modelsDir, { version: "2", runId: null, trigger: "scheduled", nowMs: TRAIN_TO });
    fillSlotWithAlpha(conn, { nowMs: TRAIN_TO, policy: { alpha: 0.05, budget: 0.25 } });
    const d = deps();
    const s = await runDriftStep(d, POLICY);
    expect(s).toMatchObject({
      status: "scored",
      triggered: false,
      action: "none",
      champion: { version: "1" },
      challenger: { version: "2", status: "scored" },
    });
    expect(d.enqueued).toEqual([]);
    const rows = latestDriftCheck(conn)!.rows;
    expect(new Set(rows.map((r) => `${r.role} ${r.version}`))).toEqual(new Set(["champion 1", "challenger 2"]));
  });

  it("bad input: a manifest without a baseline, a symbol absent from training, an empty window, an unreadable challenger", async () => {
    const trained = market(0, ["BTC-USDT"]);
    const live = market(0, ["BTC-USDT", "SOL-USDT"]);
    // BTC's bars stop 3 days before the run: its window is empty.
    insertCandles(conn, [
      {
        ...live[0]!,
        ts: live[0]!.ts.subarray(0, 13 * 1440),
        open: live[0]!.open,
        high: live[0]!.high,
        low: live[0]!.low,
        close: live[0]!.close,
        volume: live[0]!.volume,
        ticks: live[0]!.ticks,
      },
      live[1]!,
    ]);
    await saveDriftVersion(modelsDir, 1, trained, TRAIN_TO);
    await saveDriftVersion(modelsDir, 2, trained, TRAIN_TO, { withBaseline: false });
    registerVersion(conn, modelsDir, { version: "1", runId: null, trigger: "scheduled", nowMs: TRAIN_TO });
    registerVersion(conn, modelsDir, { version: "2", runId: null, trigger: "scheduled", nowMs: TRAIN_TO });
    fillSlotWithAlpha(conn, { nowMs: TRAIN_TO, policy: { alpha: 0.05, budget: 0.25 } });

    const s = await runDriftStep(deps(), POLICY);
    expect(s.champion?.symbols).toEqual([
      { symbol: "BTC-USDT", status: "empty window", bars: 0, featuresOver: 0, predictionPsi: null },
      { symbol: "SOL-USDT", status: "not in training", bars: 1440, featuresOver: 0, predictionPsi: null },
    ]);
    expect(s).toMatchObject({
      status: "no baseline",
      triggered: false,
      action: "none",
      challenger: { version: "2", status: "no baseline" },
    });
    expect(s.reason).toContain("challenger 2: no baseline (its manifest predates drift baselines)");
    expect(latestDriftCheck(conn)!.rows).toEqual([]);

    // A corrupt challenger manifest: reported in the check, the champion still scored.
    writeFileSync(join(modelsDir, "2", "manifest.json"), "{ not json");
    const bad = await runDriftStep(deps(), POLICY);
    expect(bad.challenger).toMatchObject({ version: "2", status: "failed" });
    expect(bad.reason).toMatch(/challenger 2: manifest .* (invalid|sha256|modified|not valid JSON)/);
    expect(bad.champion?.version).toBe("1");
  });

  it("records 'no champion' before any model exists", async () => {
    const s = await runDriftStep(deps(), POLICY);
    expect(s).toMatchObject({
      status: "no champion",
      action: "none",
      champion: null,
      challenger: null,
      reason: "no champion: nothing to compare",
    });
  });
});
