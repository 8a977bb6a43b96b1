import { createRng } from "@mlq/core";
import { describe, expect, it } from "vitest";
import { decideOnShadow, decidePromotion, DEFAULT_PROMOTION_POLICY, type ShadowDecisionInput } from "../decide-promotion.js";
import { mcMargin } from "../sequential/simulation.test-util.js";
import { hacPairedSharpe, pairMoments } from "./paired-sharpe.js";
import { simulatePairedShadow } from "./simulation.test-util.js";

const arm = (trades: number, sharpe: number) => ({
  trades,
  sharpe,
  skewness: 0,
  kurtosis: 3,
  expectancy: 0.1,
  psr: 0.9,
  minTrackRecord: 10,
});
const paperCtx = { alpha: 0.05, previousFractions: [], nMaxPerArm: 200, expired: true };

describe("shadow_not_worse in the paper A/B's decision table", () => {
  const strong = [arm(200, 0.05), arm(200, 0.4)] as const;

  it("blocks the swap when the shadow test finds the challenger worse (p < 0.05), passes at p ≥ 0.05", () => {
    const worse = decidePromotion(...strong, DEFAULT_PROMOTION_POLICY, {
      ...paperCtx,
      shadow: { status: "ok", reason: null, pWorse: 0.01 },
    });
    expect(worse.swapRecommended).toBe(false);
    expect(worse.conditions.find((c) => c.name === "shadow_not_worse")).toMatchObject({ value: 0.01, threshold: 0.05, passed: false });
    const fine = decidePromotion(...strong, DEFAULT_PROMOTION_POLICY, {
      ...paperCtx,
      shadow: { status: "ok", reason: null, pWorse: 0.05 },
    });
    expect(fine.swapRecommended).toBe(true);
  });

  it("a failed shadow step (bad input) blocks; insufficient evidence or no shadow run leaves the paper A/B to decide", () => {
    const failed = decidePromotion(...strong, DEFAULT_PROMOTION_POLICY, {
      ...paperCtx,
      shadow: { status: "failed", reason: "model file x fails its sha256 check", pWorse: null },
    });
    expect(failed.swapRecommended).toBe(false);
    expect(failed.conditions.at(-1)!.text).toBe("shadow evaluation failed: model file x fails its sha256 check");
    const young = decidePromotion(...strong, DEFAULT_PROMOTION_POLICY, {
      ...paperCtx,
      shadow: { status: "insufficient", reason: "120 bars", pWorse: null },
    });
    expect(young.swapRecommended).toBe(true);
    expect(young.conditions.at(-1)!.text).toBe("no shadow evidence yet (120 bars)");
    const none = decidePromotion(...strong, DEFAULT_PROMOTION_POLICY, { ...paperCtx, shadow: null });
    expect(none.conditions.at(-1)).toMatchObject({ name: "shadow_not_worse", passed: true, text: "shadow evaluation: not run" });
    const absent = decidePromotion(...strong, DEFAULT_PROMOTION_POLICY, paperCtx);
    expect(absent.conditions.some((c) => c.name === "shadow_not_worse")).toBe(false);
  });
});

const shadowInput = (over: Partial<ShadowDecisionInput> = {}): ShadowDecisionInput => ({
  status: "ok",
  reason: null,
  pWorse: 0.9,
  bars: 5000,
  minBars: 4500,
  sharpeA: 0.01,
  sharpeB: 0.03,
  meanB: 2e-5,
  hacZ: 3,
  ...over,
});

describe("decideOnShadow (MLQ_AB_EVIDENCE=shadow)", () => {
  const ctx = { alpha: 0.05, previousFractions: [] as number[], nMaxBars: 10_000, expired: false };

  it("swaps when the window is ready, B's shadow Sharpe ≥ A's, B makes money and the paired z crosses the O'Brien–Fleming boundary", () => {
    const d = decideOnShadow(shadowInput(), ctx);
    expect(d.conditions.map((c) => c.name)).toEqual([
      "shadow_bars",
      "shadow_sharpe_b_ge_a",
      "shadow_mean_b_positive",
      "sequential_boundary",
    ]);
    expect(d.look!.informationFraction).toBeCloseTo(0.5, 12);
    // Lan–DeMets O'Brien–Fleming at t = ½, one-sided α = 0.05: c₁ = z_{0.975}·… ≈ 2.538 (alpha-spending.test.ts).
    expect(d.look!.boundary).toBeGreaterThan(2.5);
    expect(d.look!.boundary).toBeLessThan(2.6);
    expect(d).toMatchObject({ ready: true, swapRecommended: true, z: 3 });
    expect(decideOnShadow(shadowInput({ hacZ: 2.4 }), ctx).swapRecommended).toBe(false);
  });

  it("no swap before the window has its bars, when B loses money, when B's Sharpe is lower, or with a pinned champion", () => {
    expect(decideOnShadow(shadowInput({ bars: 4000 }), ctx)).toMatchObject({ ready: false, swapRecommended: false, look: null });
    expect(decideOnShadow(shadowInput({ meanB: -1e-6 }), ctx).swapRecommended).toBe(false);
    expect(decideOnShadow(shadowInput({ sharpeB: 0.005 }), ctx).swapRecommended).toBe(false);
    const pinned = decideOnShadow(shadowInput(), { ...ctx, pinned: true });
    expect(pinned.swapRecommended).toBe(false);
    expect(pinned.conditions.at(-1)).toMatchObject({ name: "champion_not_pinned", passed: false });
  });

  it("a failed or missing shadow evaluation never swaps, and says why", () => {
    const failed = decideOnShadow(shadowInput({ status: "failed", reason: "candles for X: close[3] is NaN", hacZ: null }), ctx);
    expect(failed.swapRecommended).toBe(false);
    expect(failed.conditions[0]!.text).toBe("shadow evaluation failed: candles for X: close[3] is NaN");
    expect(decideOnShadow(null, ctx)).toMatchObject({ ready: false, swapRecommended: false });
  });

  it("the final look (expiry) spends what is left of α_k", () => {
    const d = decideOnShadow(shadowInput({ hacZ: 1.7 }), { ...ctx, previousFractions: [0.3, 0.6], expired: true });
    expect(d.look!.informationFraction).toBe(1);
    expect(d.look!.boundary).toBeLessThan(1.7);
    expect(d.swapRecommended).toBe(true);
  });
});

describe("MLQ_AB_EVIDENCE=shadow: daily looks on equal-Sharpe paired series keep the false-promotion rate at α", () => {
  // 600 seeded evaluations of 10 daily looks, each adding 600 bars (H = 10, 6,000 bars by expiry);
  // the two models see the same drift through equally noisy, correlated views: equal Sharpe.
  const RUNS = 600;
  const LOOKS = 10;
  const BARS_PER_LOOK = 600;
  const H = 10;

  it.each([
    ["correlation ≈ 0.5", { threshold: 0.99, noiseCorrelation: 0 }],
    ["correlation ≈ 0.9", { threshold: 0.75, noiseCorrelation: 0.95 }],
  ] as const)(
    "%s: promotions ≤ 5 % + Monte-Carlo margin over all looks",
    (_name, sim) => {
      const rng = createRng(2026, `shadow-sequential:${sim.noiseCorrelation}`);
      let promoted = 0;
      let fixedSampleFalse = 0;
      for (let run = 0; run < RUNS; run++) {
        const { a, b } = simulatePairedShadow(rng, {
          bars: LOOKS * BARS_PER_LOOK,
          horizonBars: H,
          signal: 0.3,
          noiseA: 1,
          noiseB: 1,
          ...sim,
        });
        const fractions: number[] = [];
        let anyNaive = false;
        for (let k = 1; k <= LOOKS; k++) {
          const n = k * BARS_PER_LOOK;
          const pa = a.subarray(0, n);
          const pb = b.subarray(0, n);
          const hac = hacPairedSharpe(pa, pb, { horizonBars: H });
          const m = pairMoments(pa, pb);
          const d = decideOnShadow(
            {
              status: "ok",
              reason: null,
              pWorse: hac.pWorse,
              bars: n,
              minBars: 300 * H,
              sharpeA: hac.sharpeA,
              sharpeB: hac.sharpeB,
              meanB: m.meanB,
              hacZ: hac.status === "ok" ? hac.z : null,
            },
            { alpha: 0.05, previousFractions: fractions, nMaxBars: LOOKS * BARS_PER_LOOK, expired: k === LOOKS },
          );
          if (d.look) fractions.push(d.look.informationFraction);
          if (hac.status === "ok" && hac.z >= 1.645) anyNaive = true;
          if (d.swapRecommended) {
            promoted++;
            break;
          }
        }
        if (anyNaive) fixedSampleFalse++;
      }
      const rate = promoted / RUNS;
      expect(rate).toBeLessThanOrEqual(0.05 + mcMargin(0.05, RUNS));
      // Without the boundary — a fixed-sample 5 % test at every look — the same data promotes far more often.
      expect(fixedSampleFalse / RUNS).toBeGreaterThan(0.1);
    },
    60_000,
  );
});
