// The three retrain gates as pure functions of a snapshot and a policy. A failing gate is a
// result, not an exception.
import { DAY_MS, finiteOrNull, isoUtc, percentile } from "@mlq/core";
import type { DailyVol, GatePolicy, GateResult, GateSnapshot, SymbolRegime } from "./types.js";

const smokeTag = (policy: GatePolicy): string => (policy.smoke ? " [smoke]" : "");

export function paperAgeGate(snapshot: GateSnapshot, policy: GatePolicy): GateResult {
  const threshold = policy.paperDays;
  if (snapshot.firstPaperTradeTsMs === null)
    return {
      name: "paper_age",
      passed: false,
      value: null,
      threshold,
      details: `No paper trades yet (need ≥ ${threshold} days)${smokeTag(policy)}`,
    };
  const days = (snapshot.nowMs - snapshot.firstPaperTradeTsMs) / DAY_MS;
  return {
    name: "paper_age",
    passed: days >= threshold,
    value: finiteOrNull(days),
    threshold,
    details: `${days.toFixed(2)} days since first paper trade ${isoUtc(snapshot.firstPaperTradeTsMs)} (need ≥ ${threshold})${smokeTag(policy)}`,
  };
}

export function tradeCountGate(snapshot: GateSnapshot, policy: GatePolicy): GateResult {
  const threshold = policy.minClosedTrades;
  const n = snapshot.closedTrades;
  return {
    name: "trade_count",
    passed: n >= threshold,
    value: n,
    threshold,
    details: `${n} closed paper trades (need ≥ ${threshold})${smokeTag(policy)}`,
  };
}

function ordinal(p: number): string {
  const n = Math.round(p);
  if (n !== p) return `${p}th`;
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? "th" : n % 10 === 1 ? "st" : n % 10 === 2 ? "nd" : n % 10 === 3 ? "rd" : "th";
  return `${n}${suffix}`;
}

/** One symbol's check against its own history's band. */
function symbolRegime(symbol: string, vols: readonly DailyVol[], paperStart: number | null, policy: GatePolicy): SymbolRegime {
  const history = vols.map((v) => v.vol);
  const historyLo = percentile(history, policy.volPercentileLo);
  const historyHi = percentile(history, policy.volPercentileHi);
  const paper = paperStart === null ? [] : vols.filter((v) => v.dayMs >= paperStart).map((v) => v.vol);
  const paperMin = paper.length > 0 ? Math.min(...paper) : null;
  const paperMax = paper.length > 0 ? Math.max(...paper) : null;
  const counted = vols.length >= policy.regimeMinHistoryDays;
  const passed = counted && paperMin !== null && paperMax !== null && paperMin <= historyLo && paperMax >= historyHi;
  return { symbol, paperMin, paperMax, historyLo, historyHi, paperDays: paper.length, historyDays: vols.length, counted, passed };
}

/** `BTC-USDT: vol range [2.91, 68.60] vs 20th–80th [23.92, 35.83] (16 paper / 21 history days)` */
function describeSymbol(s: SymbolRegime, band: string, policy: GatePolicy): string {
  const days = `(${s.paperDays} paper / ${s.historyDays} history days)`;
  if (!s.counted) return `${s.symbol}: not counted, ${s.historyDays} history days (need ≥ ${policy.regimeMinHistoryDays})`;
  const range = s.paperMin === null || s.paperMax === null ? "no paper-period days" : `vol range [${s.paperMin.toFixed(2)}, ${s.paperMax.toFixed(2)}]`;
  return `${s.symbol}: ${range} vs ${band} [${s.historyLo.toFixed(2)}, ${s.historyHi.toFixed(2)}] ${days}`;
}

/**
 * Per symbol: passes when its paper period's daily vol range [min, max] covers its own whole
 * history's [p_lo, p_hi] band. Pooling symbols would let one volatile symbol's calm day and
 * another's stormy day "cover" a band neither saw. Symbols with fewer than
 * `regimeMinHistoryDays` usable days are listed but not counted. `value` = share of counted
 * symbols that pass, `threshold` = `regimeMinSymbolShare`: the gate passes at value ≥ threshold.
 */
export function regimeDiversityGate(snapshot: GateSnapshot, policy: GatePolicy): GateResult {
  const { volPercentileLo: pLo, volPercentileHi: pHi, regimeMinSymbolShare: threshold } = policy;
  const band = `${ordinal(pLo)}–${ordinal(pHi)}`;
  const bySymbol = new Map<string, DailyVol[]>();
  for (const v of snapshot.dailyVols) {
    if (v.returns < policy.minReturnsPerDay || v.dayMs > snapshot.nowMs || !Number.isFinite(v.vol)) continue;
    let list = bySymbol.get(v.symbol);
    if (list === undefined) bySymbol.set(v.symbol, (list = []));
    list.push(v);
  }
  const symbols = [...bySymbol.keys()].sort().map((symbol) => symbolRegime(symbol, bySymbol.get(symbol)!, snapshot.paperStartDayMs, policy));
  const counted = symbols.filter((s) => s.counted);
  const passing = counted.filter((s) => s.passed).length;
  const metrics = { symbolsTotal: symbols.length, symbolsCounted: counted.length, symbolsPassing: passing, requiredShare: threshold };
  const perSymbol = symbols.map((s) => describeSymbol(s, band, policy)).join("; ");
  const fail = (details: string): GateResult => ({ name: "regime_diversity", passed: false, value: null, threshold, details, metrics, symbols });

  if (symbols.length === 0)
    return fail(`No daily volatility data: no symbol-day has ≥ ${policy.minReturnsPerDay} one-minute returns in candles_1m`);
  if (snapshot.paperStartDayMs === null) return fail(`No paper trades yet; ${perSymbol}`);
  if (counted.length === 0)
    return fail(`No symbol has ≥ ${policy.regimeMinHistoryDays} days of daily volatility; ${perSymbol}`);
  if (counted.every((s) => s.paperDays === 0))
    return fail(`No daily volatility data since the paper period began ${isoUtc(snapshot.paperStartDayMs).slice(0, 10)}; ${perSymbol}`);
  const share = passing / counted.length;
  // k/n against a configured share: a rounding hair below the threshold must not fail the gate.
  const passed = share >= threshold - 1e-12;
  return {
    name: "regime_diversity",
    passed,
    value: share,
    threshold,
    details: `${passing} of ${counted.length} symbols cover their own ${band} band (need ${formatShare(threshold)}): ${perSymbol}`,
    metrics,
    symbols,
  };
}

function formatShare(share: number): string {
  return `${Number((share * 100).toFixed(1))} %`;
}

/** All three gates, in the order they are logged. */
export function evaluateGates(snapshot: GateSnapshot, policy: GatePolicy): GateResult[] {
  return [paperAgeGate(snapshot, policy), tradeCountGate(snapshot, policy), regimeDiversityGate(snapshot, policy)];
}

export function allGatesPassed(results: readonly GateResult[]): boolean {
  return results.every((r) => r.passed);
}
