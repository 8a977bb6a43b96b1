// The promotion rule: B replaces A only when it has enough trades, is at least as good,
// makes money, and is better with the required confidence.
import type { ArmMetrics } from "./arm-metrics.js";
import { formatAgainst, formatNumber } from "./format.js";
import { probBBetter } from "./sharpe-stats.js";

export interface SwapPolicy {
  /** Closed trades each arm needs before a decision (default 100). */
  readonly minTradesPerArm: number;
  /** P(SR_B > SR_A) needed to swap; 0 gives the plain rule (no significance test). */
  readonly minConfidence: number;
}

export const DEFAULT_SWAP_POLICY: SwapPolicy = Object.freeze({ minTradesPerArm: 100, minConfidence: 0.9 });

export type DecisionArm = Pick<ArmMetrics, "trades" | "sharpe" | "skewness" | "kurtosis" | "expectancy" | "psr" | "minTrackRecord">;

export interface SwapDecision {
  readonly ready: boolean;
  readonly swapRecommended: boolean;
  readonly pBBetter: number | null;
  /** Every check, passed (✓) or failed (✗), in words. */
  readonly reasons: string[];
  /** One line: "ready: …; … ✓; … ✗ → no swap". */
  readonly text: string;
}

export function decideSwap(a: DecisionArm, b: DecisionArm, policy: SwapPolicy): SwapDecision {
  const p = probBBetter(a, b);
  const min = policy.minTradesPerArm;
  const ready = a.trades >= min && b.trades >= min;

  if (!ready) {
    const reasons = [armCountReason("A", a, min), armCountReason("B", b, min), `MinTRL at 95%: ${minTrlReason("A", a)}, ${minTrlReason("B", b)}`];
    return { ready, swapRecommended: false, pBBetter: p, reasons, text: `not ready: ${reasons.join("; ")} → no swap` };
  }

  const reasons: string[] = [`ready: A ${a.trades} trades, B ${b.trades} trades`];
  let ok = true;
  const check = (passed: boolean, text: string) => {
    reasons.push(`${text} ${passed ? "✓" : "✗"}`);
    ok &&= passed;
  };

  if (a.sharpe === null || b.sharpe === null) {
    const undefinedArms = [a.sharpe === null ? "A" : null, b.sharpe === null ? "B" : null].filter(Boolean).join(" and ");
    check(false, `Sharpe of ${undefinedArms} undefined (zero variance)`);
  } else {
    const [sb, sa] = formatAgainst(b.sharpe, a.sharpe, 3);
    const passed = b.sharpe >= a.sharpe;
    check(passed, `Sharpe B ${sb} ${passed ? "≥" : "<"} A ${sa}`);
  }

  if (b.expectancy === null) check(false, "expectancy B undefined");
  else {
    const passed = b.expectancy > 0;
    check(passed, `expectancy B ${formatExpectancy(b.expectancy)}% ${passed ? ">" : "≤"} 0`);
  }

  if (policy.minConfidence <= 0) {
    check(true, `P(B better) ${formatNumber(p, 2)}, not required (min_confidence 0)`);
  } else if (p === null) {
    check(false, `P(B better) undefined, needs ≥ ${policy.minConfidence.toFixed(2)}`);
  } else {
    const [ps, ts] = formatAgainst(p, policy.minConfidence, 2);
    const passed = p >= policy.minConfidence;
    check(passed, `P(B better) ${ps} ${passed ? "≥" : "<"} ${ts}`);
  }

  return { ready, swapRecommended: ok, pBBetter: p, reasons, text: `${reasons.join("; ")} → ${ok ? "swap" : "no swap"}` };
}

function armCountReason(name: string, arm: DecisionArm, min: number): string {
  if (arm.trades >= min) return `arm ${name} has ${arm.trades} of ${min} trades ✓`;
  return `arm ${name} has ${arm.trades} of ${min} trades (needs ${min - arm.trades} more) ✗`;
}

function minTrlReason(name: string, arm: DecisionArm): string {
  if (arm.minTrackRecord === null) return `${name} undefined (Sharpe ${arm.sharpe === null ? "undefined" : "≤ 0"})`;
  const needed = Math.ceil(arm.minTrackRecord);
  const more = needed - arm.trades;
  const psrText = arm.psr === null ? "" : `, PSR ${arm.psr.toFixed(2)}`;
  return `${name} ${needed} trades (${more > 0 ? `needs ${more} more` : "met"}${psrText})`;
}

/** Small expectancies still show their first three significant digits. */
function formatExpectancy(x: number): string {
  const abs = Math.abs(x);
  if (abs === 0) return "0";
  return abs >= 0.001 ? x.toFixed(3) : x.toPrecision(3);
}
