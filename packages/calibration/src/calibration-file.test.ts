import { describe, expect, it } from "vitest";
import { calibrate } from "./calibrate.js";
import { CalibrationFileSchema, toCalibrationFile } from "./calibration-file.js";
import { DEFAULT_CALIBRATION_POLICY } from "./policy.js";

const NOW = Date.UTC(2026, 10, 3, 12, 30);

describe("toCalibrationFile", () => {
  it("writes placeholders a v1 reader can use when there are no trades", () => {
    const file = toCalibrationFile(calibrate([], () => null, DEFAULT_CALIBRATION_POLICY), NOW);
    expect(file).toMatchObject({
      version: 2,
      generated_at: "2026-11-03T12:30:00.000Z",
      trades_analyzed: 0,
      placeholder: true,
      position_size_multiplier: 1,
      ema_slippage_per_side_pct: 0.06,
      avg_slippage_per_side_pct: 0.06,
      assumed_slippage_per_side_pct: 0.06,
      slippage_ratio: null,
    });
    expect(file.recommendations[0]).toMatch(/No closed paper trades yet/);
    expect(Object.keys(file.time_of_day)).toEqual(["00-06", "06-12", "12-18", "18-24"]);
    expect(Object.keys(file.regime_slippage)).toEqual(["trending", "ranging", "volatile"]);
  });

  it("keeps avg_slippage_per_side_pct equal to the EMA", () => {
    const trades = [10, 20, 30].map((bp, i) => ({
      id: i + 1,
      symbol: "BTC",
      side: "long",
      openedTsMs: NOW + i * 60_000,
      closedTsMs: NOW + (i + 1) * 60_000,
      entryPrice: 100 * (1 + bp / 10_000),
      exitPrice: 100,
      signalEntryPrice: 100,
      signalExitPrice: 100,
      pnlPct: 0.1,
    }));
    const file = toCalibrationFile(calibrate(trades, () => null, DEFAULT_CALIBRATION_POLICY), NOW);
    expect(file.placeholder).toBe(false);
    expect(file.avg_slippage_per_side_pct).toBe(file.ema_slippage_per_side_pct);
    expect(file.trades_analyzed).toBe(3);
  });

  it("rejects a NaN multiplier instead of writing it", () => {
    const good = toCalibrationFile(calibrate([], () => null, DEFAULT_CALIBRATION_POLICY), NOW);
    expect(CalibrationFileSchema.safeParse({ ...good, position_size_multiplier: Number.NaN }).success).toBe(false);
    expect(CalibrationFileSchema.safeParse({ ...good, version: 1 }).success).toBe(false);
  });
});
