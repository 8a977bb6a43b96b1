import { describe, expect, it } from "vitest";
import type { RetrainSummary } from "@mlq/ml";
import { gateRows, metricsRows, regimeSymbolRows } from "./retrain.js";

const gates: RetrainSummary["gates"] = [
  { name: "paper_age", passed: true, value: 15, threshold: 14, details: "15.00 days since first paper trade" },
  {
    name: "regime_diversity",
    passed: false,
    value: 0.5,
    threshold: 1,
    details: "1 of 2 symbols cover their own 20th–80th band (need 100 %): …",
    symbols: [
      { symbol: "BTC-USDT", paperMin: 2.91, paperMax: 68.6, historyLo: 23.92, historyHi: 35.83, paperDays: 16, historyDays: 21, counted: true, passed: true },
      { symbol: "ETH-USDT", paperMin: 30, paperMax: 40, historyLo: 25, historyHi: 45, paperDays: 16, historyDays: 21, counted: true, passed: false },
      { symbol: "NEW-USDT", paperMin: 50, paperMax: 60, historyLo: 52, historyHi: 58, paperDays: 3, historyDays: 3, counted: false, passed: false },
    ],
  },
];

describe("retrain summary tables", () => {
  it("summarizes the regime gate in the gate table and lists each symbol in its own", () => {
    expect(gateRows(gates)).toEqual([
      ["paper_age", "PASS", 15, 14, "15.00 days since first paper trade"],
      ["regime_diversity", "FAIL", 0.5, 1, "1 of 2 symbols cover their own band (per symbol below)"],
    ]);
    expect(regimeSymbolRows(gates)).toEqual([
      ["BTC-USDT", "PASS", 2.91, 68.6, 23.92, 35.83, 16, 21],
      ["ETH-USDT", "FAIL", 30, 40, 25, 45, 16, 21],
      ["NEW-USDT", "not counted", 50, 60, 52, 58, 3, 3],
    ]);
    expect(regimeSymbolRows(gates.slice(0, 1))).toEqual([]);
  });

  it("shows a hit rate only for models that reported one", () => {
    const rows = metricsRows({
      direction: { auc: 0.61, accuracy: 0.57, logLoss: 0.68 },
      risk: { rmse: 0.002, mae: 0.001, r2: 0.1, rows: 10 },
      price: { rmse: 0.002, mae: 0.0015, r2: 0.01, hitRate: 0.53, rows: 10 },
    });
    expect(rows.map((r) => r[4])).toEqual(["", "", "hit 0.53"]);
  });
});
