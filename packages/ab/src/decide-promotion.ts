// The promotion rule as a table of conditions: B (the challenger) replaces A (the champion) only
// when both arms are ready, B is at least as good and makes money, the Sharpe-difference z has
// crossed the α-spending boundary at the challenger's α_k, and the paired shadow evaluation (when
// it ran) does not find B worse. Every condition is {name, value, threshold, passed}.
import type { ArmMetrics } from "./arm-metrics.js";
import { sequentialLook, sequentialLookAt, type LookResult } from "./sequential/sequential-look.js";
import { normalCdf, sharpeVariance } from "@mlq/core";

export type DecisionArm = Pick<ArmMetrics, "trades" | "sharpe" | "skewness" | "kurtosis" | "expectancy" | "psr" | "minTrackRecord">;

export interface PromotionPolicy {
  /** Closed trades each arm needs before the first look (default 100). */
  readonly minTradesPerArm: number;
  /** The shadow evaluation blocks a swap when its one-sided p that B is worse is below this (default 0.05). */
  readonly shadowWorseP: number;
}

export const DEFAULT_PROMOTION_POLICY: PromotionPolicy = Object.freeze({ minTradesPerArm: 100, shadowWorseP: 0.05 });

export interface EvaluationContext {
  /** α_k granted to this challenger. */
  readonly alpha: number;
  /** Information fractions of this evaluation's earlier looks. */
  readonly previousFractions: readonly number[];
  /** Trades per arm expected by expiry; null before the first look (then estimated by the caller). */
  readonly nMaxPerArm: number;
  /** The challenger's time is up: this look spends what is left of α_k. */
  readonly expired: boolean;
  /** The paired shadow evaluation of this champion/challenger pair; absent when it did not run. */
  readonly shadow?: ShadowEvidence | null;
  /** An operator pinned the champion: nothing replaces it until unpinned. */
  readonly pinned?: boolean;
}

/** What the decision needs of a shadow evaluation (`ShadowEvaluation` carries more). */
export interface ShadowEvidence {
  readonly status: "ok" | "insufficient" | "failed";
  readonly reason: string | null;
  /** One-sided p that the challenger is no worse (small: worse). */
  readonly pWorse: number | null;
}

export interface DecisionCondition {
  readonly name: string;
  readonly value: number | null;
  readonly threshold: number | null;
  readonly passed: boolean;
  /** The condition in words, e.g. "Sharpe B 0.081 ≥ A 0.052". */
  readonly text: string;
}

export interface PromotionDecision {
  readonly ready: boolean;
  readonly swapRecommended: boolean;
  /** z = (SR_B − SR_A) / √(V_A + V_B); null when either Sharpe inference is undefined. */
  readonly z: number | null;
  /** Φ(z): the fixed-sample P(SR_B > SR_A), shown for reference only. */
  readonly pBBetter: number | null;
  /** This look of the sequential test; null when not ready (no look is taken). */
  readonly look: LookResult | null;
  readonly conditions: DecisionCondition[];
  /** One line: every condition with ✓/✗, then "→ swap" or "→ no swap". */
  readonly text: string;
}

/** z of SPEC §6 for independent arms. */
export function sharpeDifferenceZ(a: DecisionArm, b: DecisionArm): number | null {
  const va = sharpeVariance(a);
  const vb = sharpeVariance(b);
  if (va === null || vb === null || a.sharpe === null || b.sharpe === null) return null;
  const z = (b.sharpe - a.sharpe) / Math.sqrt(va + vb);
  return Number.isFinite(z) ? z : null;
}

export function decidePromotion(a: DecisionArm, b: DecisionArm, policy: PromotionPolicy, ctx: EvaluationContext): PromotionDecision {
  const min = policy.minTradesPerArm;
  const conditions: DecisionCondition[] = [];
  const add = (name: string, value: number | null, threshold: number | null, passed: boolean, text: string) =>
    conditions.push({ name, value, threshold, passed, text });

  add("trades_a", a.trades, min, a.trades >= min, `arm A has ${a.trades} of ${min} trades`);
  add("trades_b", b.trades, min, b.trades >= min, `arm B has ${b.trades} of ${min} trades`);
  const ready = a.trades >= min && b.trades >= min;

  const sharpeOk = a.sharpe !== null && b.sharpe !== null && b.sharpe >= a.sharpe;
  add(
    "sharpe_b_ge_a",
    b.sharpe,
    a.sharpe,
    sharpeOk,
    a.sharpe === null || b.sharpe === null
      ? "Sharpe undefined (zero variance)"
      : `Sharpe B ${fmt(b.sharpe)} ${sharpeOk ? "≥" : "<"} A ${fmt(a.sharpe)}`,
  );
  const expOk = b.expectancy !== null && b.expectancy > 0;
  add(
    "expectancy_b_positive",
    b.expectancy,
    0,
    expOk,
    b.expectancy === null ? "expectancy B undefined" : `expectancy B ${fmt(b.expectancy)}% ${expOk ? ">" : "≤"} 0`,
  );

  const z = sharpeDifferenceZ(a, b);
  const look = takeLook(ready, ctx, () =>
    sequentialLook({
      tradesA: a.trades,
      tradesB: b.trades,
      nMaxPerArm: ctx.nMaxPerArm,
      previousFractions: ctx.previousFractions,
      alpha: ctx.alpha,
      expired: ctx.expired,
    }),
  );
  addBoundary(add, z, look, ctx.alpha, { z: "z", notReady: "sequential test: no look before both arms are ready" });
  if (ctx.shadow !== undefined) addShadowCondition(add, ctx.shadow, policy.shadowWorseP);
  return finish(add, conditions, ready, z, look, ctx.pinned);
}

/** This look of the sequential test, or null before the evaluation is ready. */
function takeLook(ready: boolean, ctx: { alpha: number; previousFractions: readonly number[] }, look: () => LookResult): LookResult | null {
  if (!ready) return null;
  // α_k can round to 0 once a year's budget is spent by many challengers: such a challenger cannot be promoted.
  if (!(ctx.alpha > 0)) return { informationFraction: 0, boundary: Infinity, alphaSpent: 0, look: ctx.previousFractions.length + 1 };
  return look();
}

/** `sequential_boundary`: z against this look's boundary at α_k. */
function addBoundary(add: AddCondition, z: number | null, look: LookResult | null, alpha: number, words: { z: string; notReady: string }): void {
  const boundary = look ? (Number.isFinite(look.boundary) ? look.boundary : null) : null;
  const crossed = z !== null && look !== null && z >= look.boundary;
  add(
    "sequential_boundary",
    z,
    boundary,
    crossed,
    look === null
      ? words.notReady
      : `${words.z} ${fmt(z)} ${crossed ? "≥" : "<"} boundary ${boundary === null ? "∞" : fmt(boundary)} (look ${look.look}, information ${(look.informationFraction * 100).toFixed(0)} %, α_k ${alpha.toPrecision(2)}, spent ${look.alphaSpent.toPrecision(2)})`,
  );
}

/** Adds `champion_not_pinned` (when known) and turns the table into the decision. */
function finish(add: AddCondition, conditions: DecisionCondition[], ready: boolean, z: number | null, look: LookResult | null, pinned: boolean | undefined): PromotionDecision {
  if (pinned !== undefined)
    add("champion_not_pinned", pinned ? 1 : 0, 0, !pinned, pinned ? "the champion is pinned by an operator" : "the champion is not pinned");
  const swapRecommended = ready && conditions.every((c) => c.passed);
  const text = `${conditions.map((c) => `${c.text} ${c.passed ? "✓" : "✗"}`).join("; ")} → ${swapRecommended ? "swap" : "no swap"}`;
  return { ready, swapRecommended, z, pBBetter: z === null ? null : normalCdf(z), look, conditions, text };
}

type AddCondition = (name: string, value: number | null, threshold: number | null, passed: boolean, text: string) => void;

/**
 * `shadow_not_worse`: blocks the swap when the paired shadow test finds the challenger worse
 * (p < threshold) or when the shadow step failed on bad input (a corrupt model, NaN prices) — the
 * swap waits until that is fixed. "insufficient" (too few bars yet, a version trained before
 * trained_through_ms was recorded) is no evidence either way: the paper A/B decides alone.
 */
function addShadowCondition(add: AddCondition, shadow: ShadowEvidence | null, threshold: number): void {
  if (shadow === null) {
    add("shadow_not_worse", null, threshold, true, "shadow evaluation: not run");
    return;
  }
  if (shadow.status === "failed") {
    add("shadow_not_worse", null, threshold, false, `shadow evaluation failed: ${shadow.reason ?? "unknown"}`);
    return;
  }
  if (shadow.status === "insufficient" || shadow.pWorse === null) {
    add("shadow_not_worse", null, threshold, true, `no shadow evidence yet (${shadow.reason ?? "no p-value"})`);
    return;
  }
  const ok = shadow.pWorse >= threshold;
  add("shadow_not_worse", shadow.pWorse, threshold, ok, `shadow p(B worse) ${fmt(shadow.pWorse)} ${ok ? "≥" : "<"} ${threshold}`);
}

/** The shadow evaluation's numbers the shadow-only decision reads. */
export interface ShadowDecisionInput extends ShadowEvidence {
  readonly bars: number;
  readonly minBars: number | null;
  readonly sharpeA: number | null;
  readonly sharpeB: number | null;
  /** Mean per-bar return of the challenger's shadow series. */
  readonly meanB: number | null;
  /** HAC-studentized Jobson–Korkie–Memmel z (n = bars). */
  readonly hacZ: number | null;
}

export interface ShadowLookContext {
  readonly alpha: number;
  readonly previousFractions: readonly number[];
  /** Paired bars expected by the challenger's expiry (fixed at the first look). */
  readonly nMaxBars: number;
  readonly expired: boolean;
  readonly pinned?: boolean;
}

/**
 * MLQ_AB_EVIDENCE=shadow: the shadow series decide alone, with the paper A/B's α-spending rule on
 * the HAC-studentized paired z and information fraction bars / bars expected by expiry. Swap when
 * the window has its minimum bars, Sharpe_B ≥ Sharpe_A, B's mean per-bar return > 0, and z crosses
 * the boundary at α_k; a pinned champion blocks.
 */
export function decideOnShadow(shadow: ShadowDecisionInput | null, ctx: ShadowLookContext): PromotionDecision {
  const conditions: DecisionCondition[] = [];
  const add: AddCondition = (name, value, threshold, passed, text) => conditions.push({ name, value, threshold, passed, text });
  const bars = shadow?.bars ?? 0;
  const minBars = shadow?.minBars ?? null;
  const ready = shadow !== null && shadow.status === "ok" && minBars !== null && bars >= minBars;
  add(
    "shadow_bars",
    bars,
    minBars,
    ready,
    shadow === null
      ? "shadow evaluation: not run"
      : shadow.status === "ok"
        ? `shadow window has ${bars} of ${minBars ?? "?"} bars`
        : `shadow evaluation ${shadow.status}: ${shadow.reason ?? ""}`,
  );
  const sa = shadow?.sharpeA ?? null;
  const sb = shadow?.sharpeB ?? null;
  const sharpeOk = sa !== null && sb !== null && sb >= sa;
  add("shadow_sharpe_b_ge_a", sb, sa, sharpeOk, sa === null || sb === null ? "shadow Sharpe undefined" : `shadow Sharpe B ${fmt(sb)} ${sharpeOk ? "≥" : "<"} A ${fmt(sa)} per bar`);
  const meanB = shadow?.meanB ?? null;
  const meanOk = meanB !== null && meanB > 0;
  add("shadow_mean_b_positive", meanB, 0, meanOk, meanB === null ? "shadow mean return B undefined" : `shadow mean return B ${fmt(meanB)} ${meanOk ? ">" : "≤"} 0 per bar`);
  const z = ready ? (shadow.hacZ ?? null) : null;
  const look = takeLook(ready, ctx, () => sequentialLookAt(ctx.expired ? 1 : ctx.nMaxBars > 0 ? bars / ctx.nMaxBars : 0, ctx.previousFractions, ctx.alpha));
  addBoundary(add, z, look, ctx.alpha, { z: "paired shadow z", notReady: "sequential test (paired shadow z): no look before the shadow window is ready" });
  return finish(add, conditions, ready, z, look, ctx.pinned);
}

function fmt(x: number | null): string {
  if (x === null) return "—";
  const abs = Math.abs(x);
  return abs !== 0 && abs < 0.001 ? x.toPrecision(3) : x.toFixed(3);
}
