// The three retrain gates as pure functions of a snapshot and a policy. A failing gate is a
// result, not an exception.
import { DAY_MS, isoUtc, percentile } from "@mlq/core";
import type { GatePolicy, GateResult, GateSnapshot } from "./types.js";

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);
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

/**
 * Passes when the paper period's daily vol range [min, max] covers the whole history's
 * [p_lo, p_hi] band. `value` is the covered fraction of that band (1 = fully covered), so
 * like the other gates it passes when value ≥ threshold (1).
 */
export function regimeDiversityGate(snapshot: GateSnapshot, policy: GatePolicy): GateResult {
  const { volPercentileLo: pLo, volPercentileHi: pHi } = policy;
  const band = `${ordinal(pLo)}–${ordinal(pHi)}`;
  const usable = snapshot.dailyVols.filter(
    (v) => v.returns >= policy.minReturnsPerDay && v.dayMs <= snapshot.nowMs && Number.isFinite(v.vol),
  );
  const fail = (details: string, metrics: Record<string, number | null> = {}): GateResult => ({
    name: "regime_diversity",
    passed: false,
    value: null,
    threshold: 1,
    details,
    metrics,
  });
  if (usable.length === 0)
    return fail(`No daily volatility data: no symbol-day has ≥ ${policy.minReturnsPerDay} one-minute returns in candles_1m`);
  const history = usable.map((v) => v.vol);
  const lo = percentile(history, pLo);
  const hi = percentile(history, pHi);
  const base = { historyLo: lo, historyHi: hi, historyDays: usable.length };
  if (snapshot.paperStartDayMs === null)
    return fail(`No paper trades yet; history ${band} [${lo.toFixed(2)}, ${hi.toFixed(2)}]`, {
      ...base,
      paperMin: null,
      paperMax: null,
      paperDays: 0,
    });
  const paperStart = snapshot.paperStartDayMs;
  const paper = usable.filter((v) => v.dayMs >= paperStart).map((v) => v.vol);
  if (paper.length === 0)
    return fail(
      `No daily volatility data since the paper period began ${isoUtc(paperStart).slice(0, 10)}; history ${band} [${lo.toFixed(2)}, ${hi.toFixed(2)}]`,
      {
        ...base,
        paperMin: null,
        paperMax: null,
        paperDays: 0,
      },
    );
  const min = Math.min(...paper);
  const max = Math.max(...paper);
  const passed = min <= lo && max >= hi;
  const coverage = hi > lo ? Math.max(0, Math.min(max, hi) - Math.max(min, lo)) / (hi - lo) : passed ? 1 : 0;
  return {
    name: "regime_diversity",
    passed,
    value: finiteOrNull(coverage),
    threshold: 1,
    details: `Vol range [${min.toFixed(2)}, ${max.toFixed(2)}] vs ${band} [${lo.toFixed(2)}, ${hi.toFixed(2)}] (${paper.length} paper / ${usable.length} history symbol-days)`,
    metrics: { ...base, paperMin: min, paperMax: max, paperDays: paper.length },
  };
}

/** All three gates, in the order they are logged. */
export function evaluateGates(snapshot: GateSnapshot, policy: GatePolicy): GateResult[] {
  return [paperAgeGate(snapshot, policy), tradeCountGate(snapshot, policy), regimeDiversityGate(snapshot, policy)];
}

export function allGatesPassed(results: readonly GateResult[]): boolean {
  return results.every((r) => r.passed);
}
