import { ConfigError } from "@mlq/core";
import type { GatePolicy } from "./types.js";

/** The `gates` slice of @mlq/config's Config (structural, so this package needs no config dependency). */
export interface GateConfig {
  paperDays: number;
  paperDaysSmoke: number;
  minClosedTrades: number;
  minClosedTradesSmoke: number;
  volPercentileLo: number;
  volPercentileHi: number;
  minReturnsPerDay: number;
  regimeMinHistoryDays: number;
  regimeMinSymbolShare: number;
}

/** Thresholds for one evaluation; smoke mode relaxes paper age and trade count only. */
export function gatePolicy(gates: GateConfig, smoke = false): GatePolicy {
  const { volPercentileLo: lo, volPercentileHi: hi } = gates;
  if (!(lo >= 0 && hi <= 100 && lo < hi))
    throw new ConfigError(`gate vol percentiles must satisfy 0 ≤ lo < hi ≤ 100, got lo=${lo} hi=${hi}`);
  if (!(Number.isInteger(gates.minReturnsPerDay) && gates.minReturnsPerDay >= 2))
    throw new ConfigError(`gates.minReturnsPerDay must be an integer ≥ 2 (std uses ddof=1), got ${gates.minReturnsPerDay}`);
  if (!(Number.isInteger(gates.regimeMinHistoryDays) && gates.regimeMinHistoryDays >= 1))
    throw new ConfigError(`gates.regimeMinHistoryDays must be an integer ≥ 1, got ${gates.regimeMinHistoryDays}`);
  if (!(gates.regimeMinSymbolShare > 0 && gates.regimeMinSymbolShare <= 1))
    throw new ConfigError(`gates.regimeMinSymbolShare must be in (0, 1], got ${gates.regimeMinSymbolShare}`);
  return {
    smoke,
    paperDays: smoke ? gates.paperDaysSmoke : gates.paperDays,
    minClosedTrades: smoke ? gates.minClosedTradesSmoke : gates.minClosedTrades,
    volPercentileLo: lo,
    volPercentileHi: hi,
    minReturnsPerDay: gates.minReturnsPerDay,
    regimeMinHistoryDays: gates.regimeMinHistoryDays,
    regimeMinSymbolShare: gates.regimeMinSymbolShare,
  };
}
