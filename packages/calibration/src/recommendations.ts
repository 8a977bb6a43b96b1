// Short sentences a trader can act on, generated from the calibration's numbers.
import type { BucketStats, CalibrationReport } from "./calibrate.js";
import type { CalibrationPolicy } from "./policy.js";
import { TIME_OF_DAY_BUCKETS } from "./slippage.js";
import { REGIMES } from "./regime.js";

const pct = (x: number): string => `${x.toFixed(3)}%`;
// Two significant digits below 1 so 0.02× does not print as 0.0×.
const times = (x: number): string => `${x >= 1 ? x.toFixed(1) : x.toFixed(2)}×`;
const size = (x: number): string => `${x.toFixed(2)}×`;
const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** The action a multiplier implies, as a clause: "size 0.55×", "keep size 1.00×", "size may rise to 1.20×". */
function sizing(multiplier: number): string {
  if (multiplier < 1) return `size ${size(multiplier)}`;
  if (multiplier > 1) return `size may rise to ${size(multiplier)}`;
  return `keep size ${size(1)}`;
}

function slippagePhrase(ratio: number, actual: number, assumed: number): string {
  if (ratio <= 0) return `fills beat the signal price (${pct(actual)} per side)`;
  return `slippage is ${times(ratio)} assumed (${pct(actual)} vs ${pct(assumed)} per side)`;
}

export function buildRecommendations(report: Omit<CalibrationReport, "recommendations">, policy: CalibrationPolicy): string[] {
  const out: string[] = [];
  const assumed = report.assumedSlippagePerSidePct;
  const s = report.skipped;
  const skippedTrades = s.invalid_side + s.invalid_timestamp + s.closed_before_open + s.no_usable_side;

  if (report.emaSlippagePerSidePct === null || report.slippageRatio === null) {
    out.push(
      report.tradesSeen === 0
        ? `No closed paper trades yet: keep size ${size(1)} until slippage can be measured.`
        : `None of ${count(report.tradesSeen, "closed trade")} has usable signal and fill prices: keep size ${size(1)} and check that the bot records signal_entry_price / signal_exit_price.`,
    );
    return out;
  }

  out.push(`Overall ${slippagePhrase(report.slippageRatio, report.emaSlippagePerSidePct, assumed)}: ${sizing(report.positionSizeMultiplier)}.`);
  if (report.tradesAnalyzed < policy.minBucketTrades) {
    out.push(`Only ${count(report.tradesAnalyzed, "trade")} analyzed (fewer than ${policy.minBucketTrades}): treat these figures as provisional.`);
  }

  const buckets: [string, BucketStats][] = [
    ...TIME_OF_DAY_BUCKETS.map((b): [string, BucketStats] => [`${b} UTC`, report.timeOfDay[b]]),
    ...REGIMES.map((r): [string, BucketStats] => [`${r} markets`, report.regimes[r]]),
  ];
  const inherited: string[] = [];
  for (const [label, b] of buckets) {
    if (b.inherited) {
      inherited.push(`${label} (${b.trades})`);
      continue;
    }
    if (b.slippageRatio === null || b.emaSlippagePerSidePct === null) continue;
    // Only buckets whose advice differs from the overall one are worth a line.
    if (b.positionSizeMultiplier === report.positionSizeMultiplier) continue;
    const what = b.slippageRatio <= 0 ? `fills beat the signal` : `slippage is ${times(b.slippageRatio)} assumed`;
    out.push(`In ${label} ${what}: ${sizing(b.positionSizeMultiplier)}.`);
  }
  if (inherited.length > 0) {
    out.push(`Too few trades for their own multiplier (< ${policy.minBucketTrades}), using the overall ${size(report.positionSizeMultiplier)}: ${inherited.join(", ")}.`);
  }

  if (skippedTrades > 0 || s.null_signal + s.zero_signal > 0) {
    const parts: string[] = [];
    if (s.no_usable_side > 0) parts.push(`${count(s.no_usable_side, "trade")} without a usable signal/fill pair`);
    if (s.null_signal + s.zero_signal > 0) parts.push(`${count(s.null_signal + s.zero_signal, "side")} with a NULL or zero signal price`);
    if (s.closed_before_open > 0) parts.push(`${count(s.closed_before_open, "trade")} closed before ${s.closed_before_open === 1 ? "it" : "they"} opened`);
    if (s.invalid_timestamp + s.invalid_side > 0) parts.push(`${count(s.invalid_timestamp + s.invalid_side, "trade")} with a bad timestamp or side`);
    out.push(`Skipped ${parts.join(", ")}: fix the bot's trade logging so these count.`);
  }
  const m = report.regimeMethod;
  if (m.pnl_proxy + m.unclassified > 0) {
    out.push(
      `Regime of ${m.pnl_proxy + m.unclassified} of ${count(report.tradesAnalyzed, "trade")} comes from the pnl_pct proxy or is unknown (no candles at the open): materialize candles for these periods.`,
    );
  }
  return out;
}
