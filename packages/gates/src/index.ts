export type { CloseSeries, DailyVol, GateName, GatePolicy, GateResult, GateSnapshot, SymbolRegime } from "./types.js";
export { gatePolicy, type GateConfig } from "./policy.js";
export { dailyRealizedVols, MINUTES_PER_YEAR, type DailyVolOptions } from "./daily-vol.js";
export { evaluateGates, allGatesPassed, paperAgeGate, tradeCountGate, regimeDiversityGate } from "./gates.js";
