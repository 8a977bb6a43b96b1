import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GateResult } from "@mlq/gates";
import { writeGateLog } from "./gate-store.js";
import {
  closeRetrainRun,
  currentSlippageMult,
  failRetrainRun,
  INTERRUPTED_ATTEMPT_MSG,
  lastSuccessfulRetrainTsMs,
  listRetrainRuns,
  openRetrainRun,
  recordRunFacts,
  recordRunGates,
} from "./retrain-runs-store.js";
import { retrainFixture, runRow, type RetrainFixture } from "./retrain.test-util.js";

let fx: RetrainFixture;
beforeEach(() => {
  fx = retrainFixture();
});
afterEach(() => fx.dispose());

const T = Date.UTC(2026, 3, 1);
const open = (tsMs = T, jobId: string | null = null, trigger: "scheduled" | "force" = "scheduled") =>
  openRetrainRun(fx.conn, { nowMs: tsMs, jobId, trigger, volPercentileLo: 20, volPercentileHi: 80 });

const GATES: GateResult[] = [
  { name: "paper_age", passed: true, value: 15.5, threshold: 14, details: "15.50 days" },
  { name: "trade_count", passed: false, value: 60, threshold: 75, details: "60 closed paper trades" },
  {
    name: "regime_diversity",
    passed: true,
    value: 1,
    threshold: 1,
    details: "1 of 1 symbols cover their own 20th–80th band (need 100 %): BTC-USDT: vol range [2.91, 68.60] vs 20th–80th [23.92, 35.83]",
    metrics: { symbols: 1, counted: 1, passing: 1 },
    symbols: [
      {
        symbol: "BTC-USDT",
        paperMin: 2.91,
        paperMax: 68.6,
        historyLo: 23.92,
        historyHi: 35.83,
        paperDays: 16,
        historyDays: 21,
        counted: true,
        passed: true,
      },
    ],
  },
];

describe("openRetrainRun", () => {
  it("inserts a 'running' row with the configured percentile ranks", () => {
    const id = open(T, "job-1");
    expect(runRow(fx.conn, id)).toMatchObject({
      ts_ms: T,
      ts_iso: "2026-04-01T00:00:00.000Z",
      job_id: "job-1",
      trigger_reason: "scheduled",
      status: "running",
      success: 0,
      vol_percentile_lo: 20,
      vol_percentile_hi: 80,
    });
  });

  it("closes a row of the same job left 'running' by a dead attempt, and no other", () => {
    const dead = open(T, "job-1");
    const otherJob = open(T, "job-2");
    const again = open(T + 1, "job-1");
    expect(runRow(fx.conn, dead)).toMatchObject({ status: "failed", success: 0, error_msg: INTERRUPTED_ATTEMPT_MSG });
    expect(runRow(fx.conn, otherJob)).toMatchObject({ status: "running" });
    expect(runRow(fx.conn, again)).toMatchObject({ status: "running" });
  });
});

describe("recording a run", () => {
  it("records facts as they are learned and the gates with their JSON, keeping the ranks", () => {
    const id = open();
    recordRunFacts(fx.conn, id, { slippageMult: 1.75 });
    recordRunFacts(fx.conn, id, { trainingRows: 1234, embargoHours: 24.5 });
    recordRunFacts(fx.conn, id, {});
    recordRunGates(fx.conn, id, GATES);
    const row = runRow(fx.conn, id);
    expect(row).toMatchObject({
      slippage_mult: 1.75,
      training_rows: 1234,
      embargo_hours: 24.5,
      gate_pass: 0,
      paper_days: 15.5,
      closed_trades: 60,
      vol_percentile_lo: 20,
      vol_percentile_hi: 80,
    });
    expect(JSON.parse(String(row.gate_details))).toEqual(GATES);
  });

  it("closes a result as 'done' and an error as 'failed'", () => {
    const trained = open();
    closeRetrainRun(fx.conn, trained, {
      success: true,
      errorMsg: null,
      durationSec: 12.5,
      modelsTrained: 5,
      modelDir: "/m/1",
      metrics: { direction: { auc: 0.6, r2: Number.NaN } },
    });
    expect(runRow(fx.conn, trained)).toMatchObject({
      status: "done",
      success: 1,
      error_msg: null,
      duration_sec: 12.5,
      models_trained: 5,
      model_dir: "/m/1",
      metrics: '{"direction":{"auc":0.6,"r2":null}}',
    });
    const skipped = open();
    closeRetrainRun(fx.conn, skipped, { success: false, errorMsg: "gates not passed: trade_count", durationSec: 1 });
    expect(runRow(fx.conn, skipped)).toMatchObject({
      status: "done",
      success: 0,
      error_msg: "gates not passed: trade_count",
      models_trained: 0,
      model_dir: null,
      metrics: null,
    });
    const failed = open();
    failRetrainRun(fx.conn, failed, { errorMsg: "boom", gatePass: null, durationSec: 2 });
    expect(runRow(fx.conn, failed)).toMatchObject({ status: "failed", success: 0, error_msg: "boom", gate_pass: null, duration_sec: 2 });
  });
});

describe("lastSuccessfulRetrainTsMs and currentSlippageMult", () => {
  it("read the newest run that trained models, with fallbacks before any", () => {
    expect(lastSuccessfulRetrainTsMs(fx.conn)).toBeNull();
    expect(currentSlippageMult(fx.conn.sqlite, 2)).toBe(2);
    const a = open(T);
    recordRunFacts(fx.conn, a, { slippageMult: 1.8 });
    closeRetrainRun(fx.conn, a, { success: true, errorMsg: null, durationSec: 1, modelsTrained: 5 });
    const dry = open(T + 10);
    recordRunFacts(fx.conn, dry, { slippageMult: 1.6 });
    closeRetrainRun(fx.conn, dry, { success: true, errorMsg: null, durationSec: 1 }); // a dry run: success, no models
    const failed = open(T + 20);
    recordRunFacts(fx.conn, failed, { slippageMult: 1.5 });
    failRetrainRun(fx.conn, failed, { errorMsg: "x", gatePass: true, durationSec: 1 });
    expect(lastSuccessfulRetrainTsMs(fx.conn)).toBe(T);
    expect(currentSlippageMult(fx.conn.sqlite, 2)).toBe(1.6);
  });

  it("fall back when the table does not exist", () => {
    fx.conn.sqlite.exec("DROP TABLE phase2_gate_log; DROP TABLE phase2_retrain_runs");
    expect(lastSuccessfulRetrainTsMs(fx.conn)).toBeNull();
    expect(currentSlippageMult(fx.conn.sqlite, 2)).toBe(2);
  });
});

describe("listRetrainRuns", () => {
  it("returns the newest runs first, typed, with their logged gates and the gates' recorded metrics", () => {
    const first = open(T, "j1");
    writeGateLog(fx.conn, first, GATES, T);
    recordRunGates(fx.conn, first, GATES);
    closeRetrainRun(fx.conn, first, {
      success: true,
      errorMsg: null,
      durationSec: 3,
      modelsTrained: 5,
      modelDir: "/m/1",
      metrics: { direction: { auc: 0.61 } },
    });
    const second = open(T + 1, "j2", "force");
    fx.conn.sqlite.prepare("UPDATE phase2_retrain_runs SET metrics = '{not json' WHERE id = ?").run(second);
    open(T + 2);
    const runs = listRetrainRuns(fx.conn, { limit: 2 });
    expect(runs.map((r) => r.id)).toEqual([second + 1, second]);
    expect(runs[1]).toMatchObject({
      jobId: "j2",
      triggerReason: "force",
      status: "running",
      success: false,
      gatePass: null,
      gates: [],
      metrics: null,
    });
    expect(runs[1]!.metricsError).toMatch(/JSON/);
    const [r] = listRetrainRuns(fx.conn, { limit: 3 }).slice(-1);
    expect(r).toEqual({
      id: first,
      tsMs: T,
      tsIso: "2026-04-01T00:00:00.000Z",
      jobId: "j1",
      triggerReason: "scheduled",
      status: "done",
      success: true,
      gatePass: false,
      // The logged gates; the regime gate with its per-symbol bands from gate_details.
      gates: GATES.map(({ name, passed, value, threshold, details, symbols }) => ({
        name,
        passed,
        value,
        threshold,
        details,
        ...(symbols && { symbols }),
      })),
      volPercentileLo: 20,
      volPercentileHi: 80,
      trainingRows: null,
      modelsTrained: 5,
      modelDir: "/m/1",
      slippageMult: null,
      embargoHours: null,
      durationSec: 3,
      errorMsg: null,
      metrics: { direction: { auc: 0.61 } },
      metricsError: null,
    });
  });

  it("leaves the symbols out for a run whose gate_details has none or is not JSON", () => {
    const id = open();
    writeGateLog(fx.conn, id, GATES, T);
    expect(listRetrainRuns(fx.conn, { limit: 1 })[0]!.gates[2]).not.toHaveProperty("symbols");
    fx.conn.sqlite.prepare("UPDATE phase2_retrain_runs SET gate_details = '[{' WHERE id = ?").run(id);
    expect(listRetrainRuns(fx.conn, { limit: 1 })[0]!.gates[2]).not.toHaveProperty("symbols");
  });

  it("names a missing table", () => {
    fx.conn.sqlite.exec("DROP TABLE phase2_gate_log");
    expect(() => listRetrainRuns(fx.conn, { limit: 1 })).toThrow(`phase2_gate_log table missing in ${fx.conn.path}`);
  });
});
