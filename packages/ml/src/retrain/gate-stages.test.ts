import { afterEach, describe, expect, it } from "vitest";
import { DAY_MS } from "@mlq/core";
import type { GateResult } from "@mlq/gates";
import { costStage, gatesStage } from "./gate-stages.js";
import { listRetrainRuns } from "./retrain-runs-store.js";
import { insertRegimeCandles, insertTrades, retrainFixture, runRow, stageContext, type RetrainFixture } from "./retrain.test-util.js";

let fx: RetrainFixture | undefined;
afterEach(() => fx?.dispose());

const DAY0 = Date.UTC(2026, 2, 1);
const NOW = DAY0 + 8 * DAY_MS + 3_600_000;
const GATE_ENV = {
  MLQ_GATE_PAPER_DAYS: "2",
  MLQ_GATE_MIN_TRADES: "5",
  MLQ_GATE_MIN_RETURNS_PER_DAY: "30",
  MLQ_GATE_VOL_PCT_LO: "10",
  MLQ_GATE_VOL_PCT_HI: "90",
};

/** Eight days of candles; the paper period (from day 4) holds both the calmest and the wildest day. */
function gateData(env: Record<string, string> = {}): RetrainFixture {
  fx = retrainFixture({ ...GATE_ENV, ...env });
  insertRegimeCandles(fx.conn, "BTC-USDT", DAY0, [3, 4, 5, 6, 1, 8, 2, 7], 40);
  insertTrades(fx.conn, 10, DAY0 + 4 * DAY_MS);
  return fx;
}

const regime = (gates: readonly GateResult[]): GateResult => gates.find((g) => g.name === "regime_diversity")!;

describe("gatesStage", () => {
  it("logs the three gates; the run row keeps the configured percentile ranks, the band values live in the gate details", async () => {
    const f = gateData();
    const ctx = stageContext(f, { nowMs: NOW });
    expect(await gatesStage.run(ctx)).toBeUndefined();
    const gates = ctx.state.gates!;
    expect(gates.map((g) => [g.name, g.passed])).toEqual([
      ["paper_age", true],
      ["trade_count", true],
      ["regime_diversity", true],
    ]);
    expect(regime(gates).details).toMatch(/10th–90th \[\d+\.\d\d, \d+\.\d\d\]/);
    // One column, one unit: the ranks from the config, not the band's annualized vols.
    expect(runRow(f.conn, ctx.runId)).toMatchObject({
      gate_pass: 1,
      vol_percentile_lo: 10,
      vol_percentile_hi: 90,
      paper_days: gates[0]!.value,
      closed_trades: 10,
    });
    expect(JSON.parse(String(runRow(f.conn, ctx.runId).gate_details))).toEqual(JSON.parse(JSON.stringify(gates)));
    const logged = f.conn.sqlite
      .prepare("SELECT gate_name, details, value FROM phase2_gate_log WHERE run_id = ? ORDER BY id")
      .all(ctx.runId) as { gate_name: string; details: string; value: number }[];
    expect(logged.map((r) => r.gate_name)).toEqual(["paper_age", "trade_count", "regime_diversity"]);
    expect(logged[2]).toEqual({ gate_name: "regime_diversity", details: regime(gates).details, value: regime(gates).value });
    // ...and that is where a view reads them.
    const [run] = listRetrainRuns(f.conn, { limit: 1 });
    expect(run).toMatchObject({ volPercentileLo: 10, volPercentileHi: 90 });
    expect(run!.gates[2]!.details).toBe(regime(gates).details);
    expect(run!.gates[2]!.symbols).toEqual(JSON.parse(JSON.stringify(regime(gates).symbols)));
    expect(run!.gates[2]!.symbols!.map((s) => s.symbol)).toEqual(["BTC-USDT"]);
  });

  it("keeps the ranks when the regime gate has no data to measure a band", async () => {
    fx = retrainFixture(GATE_ENV);
    insertTrades(fx.conn, 10, DAY0);
    const ctx = stageContext(fx, { nowMs: NOW });
    await gatesStage.run(ctx);
    expect(regime(ctx.state.gates!)).toMatchObject({ passed: false, value: null });
    expect(runRow(fx.conn, ctx.runId)).toMatchObject({ gate_pass: 0, vol_percentile_lo: 10, vol_percentile_hi: 90 });
  });

  it("ends a scheduled run when a gate fails, naming it; a forced run goes on", async () => {
    const f = gateData({ MLQ_GATE_MIN_TRADES: "1000" });
    const scheduled = stageContext(f, { nowMs: NOW });
    const end = await gatesStage.run(scheduled);
    expect(end).toMatchObject({ outcome: "gates-failed", success: false });
    expect(end && "message" in end && end.message).toMatch(/^gates not passed: trade_count \(10 closed paper trades \(need ≥ 1000\)\)$/);
    expect(runRow(f.conn, scheduled.runId)).toMatchObject({ gate_pass: 0 });
    const forced = stageContext(f, { nowMs: NOW, trigger: "force" });
    expect(await gatesStage.run(forced)).toBeUndefined();
    expect(forced.state.gatePass).toBe(false);
  });

  it("uses the relaxed thresholds on a smoke run", async () => {
    const f = gateData({ MLQ_GATE_MIN_TRADES: "1000", MLQ_GATE_MIN_TRADES_SMOKE: "10", MLQ_GATE_PAPER_DAYS_SMOKE: "2" });
    const ctx = stageContext(f, { nowMs: NOW, trigger: "smoke" });
    expect(await gatesStage.run(ctx)).toBeUndefined();
    expect(ctx.state.gates![1]).toMatchObject({ name: "trade_count", passed: true, threshold: 10 });
  });

  it("ends a dry run with success, saying what would be trained", async () => {
    const f = gateData({ MLQ_GATE_MIN_TRADES: "1000" });
    const ctx = stageContext(f, {
      nowMs: NOW,
      trigger: "dry-run",
      state: {
        candles: {
          rowsWritten: 0,
          ticksRead: 0,
          skippedTicks: 0,
          coverage: [{ symbol: "BTC-USDT", rows: 320, firstTsMs: DAY0, lastTsMs: NOW }],
        },
      },
    });
    expect(await gatesStage.run(ctx)).toEqual({
      outcome: "dry-run",
      success: true,
      message: "dry run: gates fail; would train 5 models on 320 candles",
    });
    expect(f.conn.sqlite.prepare("SELECT count(*) FROM phase2_gate_log WHERE run_id = ?").pluck().get(ctx.runId)).toBe(3);
  });
});

describe("costStage", () => {
  it("uses the backtest 2.0 before any calibration and records it on the run row", async () => {
    fx = retrainFixture();
    const ctx = stageContext(fx);
    await costStage.run(ctx);
    expect(ctx.state.slippage?.mult).toBe(2);
    expect(ctx.state.costFraction).toBeCloseTo((0.12 + 0.03 * 2 * 2) / 100, 15);
    expect(runRow(fx.conn, ctx.runId).slippage_mult).toBe(2);
  });

  it("scales slippage_mult by the latest calibration once it covers enough trades", async () => {
    fx = retrainFixture();
    fx.conn.sqlite
      .prepare(
        "INSERT INTO calibration_runs (ts_ms, ts_iso, trades_analyzed, ema_slippage_per_side_pct, position_size_multiplier, success) VALUES (1, 'x', 300, 0.0525, 1, 1)",
      )
      .run();
    const ctx = stageContext(fx);
    await costStage.run(ctx);
    // 0.0525 / 0.03 = 1.75, inside [1.5, 2.0]
    expect(ctx.state.slippage?.mult).toBeCloseTo(1.75, 12);
    expect(ctx.state.costFraction).toBeCloseTo((0.12 + 0.03 * 2 * 1.75) / 100, 15);
    expect(runRow(fx.conn, ctx.runId).slippage_mult).toBeCloseTo(1.75, 12);
  });
});
