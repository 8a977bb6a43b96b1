import { describe, expect, it } from "vitest";
import { decideSwap, type DecisionArm } from "./decide-swap.js";
import { formatAgainst } from "./format.js";

// Normal-looking arms (γ3 0, γ4 3) so V = (1 + SR²/2)/(n − 1) is easy to check by hand.
const arm = (trades: number, sharpe: number | null, expectancy: number | null, extra: Partial<DecisionArm> = {}): DecisionArm => ({
  trades,
  sharpe,
  expectancy,
  skewness: sharpe === null ? null : 0,
  kurtosis: sharpe === null ? null : 3,
  psr: null,
  minTrackRecord: null,
  ...extra,
});
const POLICY = { minTradesPerArm: 100, minConfidence: 0.9 };

describe("decideSwap", () => {
  it("swaps when B is ready, at least as good, profitable and better with confidence", () => {
    // V_A = (1 + 0.05²/2)/999 = 0.00100225, V_B = (1 + 0.2²/2)/999 = 0.00102102
    // z = 0.15/√0.00202327 = 3.3347 → P = 0.99957
    const d = decideSwap(arm(1000, 0.05, 0.01), arm(1000, 0.2, 0.031), POLICY);
    expect(d.ready).toBe(true);
    expect(d.swapRecommended).toBe(true);
    expect(d.pBBetter).toBeCloseTo(0.99957, 4);
    expect(d.text).toBe("ready: A 1000 trades, B 1000 trades; Sharpe B 0.200 ≥ A 0.050 ✓; expectancy B 0.031% > 0 ✓; P(B better) 1.00 ≥ 0.90 ✓ → swap");
    expect(d.reasons).toHaveLength(4);
  });

  it("says how many trades are missing and the MinTRL when an arm is not ready", () => {
    const d = decideSwap(
      arm(212, 0.09, 0.02, { minTrackRecord: 180.2, psr: 0.91 }),
      arm(61, 0.05, 0.01, { minTrackRecord: 1084.6, psr: 0.65 }),
      POLICY,
    );
    expect(d.ready).toBe(false);
    expect(d.swapRecommended).toBe(false);
    expect(d.text).toBe(
      "not ready: arm A has 212 of 100 trades ✓; arm B has 61 of 100 trades (needs 39 more) ✗; " +
        "MinTRL at 95%: A 181 trades (met, PSR 0.91), B 1085 trades (needs 1024 more, PSR 0.65) → no swap",
    );
  });

  it("explains an undefined MinTRL for a losing arm", () => {
    const d = decideSwap(arm(10, -0.1, -0.01), arm(0, null, null), POLICY);
    expect(d.text).toContain("arm A has 10 of 100 trades (needs 90 more) ✗");
    expect(d.text).toContain("MinTRL at 95%: A undefined (Sharpe ≤ 0), B undefined (Sharpe undefined)");
  });

  it.each([
    ["Sharpe B below A", arm(500, 0.1, 0.02), arm(500, 0.08, 0.02), "Sharpe B 0.080 < A 0.100 ✗"],
    ["B loses money", arm(500, -0.3, -0.02), arm(500, -0.1, -0.01), "expectancy B -0.010% ≤ 0 ✗"],
    // V_A = 1.00125/499, V_B = 1.00245/499 → z = 0.02/√0.004015 = 0.3156 → P 0.624
    ["B better but not confidently", arm(500, 0.05, 0.01), arm(500, 0.07, 0.015), "P(B better) 0.62 < 0.90 ✗"],
    ["B's Sharpe undefined", arm(500, 0.05, 0.01), arm(500, null, 0.1), "Sharpe of B undefined (zero variance) ✗"],
  ])("does not swap when %s", (_label, a, b, failed) => {
    const d = decideSwap(a, b, POLICY);
    expect(d.ready).toBe(true);
    expect(d.swapRecommended).toBe(false);
    expect(d.reasons).toContain(failed);
    expect(d.text.endsWith("→ no swap")).toBe(true);
  });

  it("reproduces the plain rule with min_confidence 0", () => {
    const a = arm(500, 0.05, 0.01);
    const b = arm(500, 0.07, 0.015);
    expect(decideSwap(a, b, POLICY).swapRecommended).toBe(false);
    const plain = decideSwap(a, b, { ...POLICY, minConfidence: 0 });
    expect(plain.swapRecommended).toBe(true);
    expect(plain.reasons).toContain("P(B better) 0.62, not required (min_confidence 0) ✓");
  });

  it("accepts equal Sharpe ratios (≥) but never a zero expectancy", () => {
    expect(decideSwap(arm(100, 0.1, 0.01), arm(100, 0.1, 0.01), { ...POLICY, minConfidence: 0 }).swapRecommended).toBe(true);
    expect(decideSwap(arm(100, 0, 0), arm(100, 0, 0), { ...POLICY, minConfidence: 0 }).swapRecommended).toBe(false);
  });

  it("shows enough digits that a near miss never reads like a pass", () => {
    const d = decideSwap(arm(5000, 0.05, 0.01), arm(5000, 0.0754, 0.01), POLICY);
    expect(d.pBBetter!).toBeGreaterThan(0.895);
    expect(d.pBBetter!).toBeLessThan(0.9);
    expect(d.reasons.find((r) => r.startsWith("P(B better)"))).toMatch(/^P\(B better\) 0\.89\d+ < 0\.90\d* ✗$/);
  });
});

describe("formatAgainst", () => {
  it.each([
    [0.897, 0.9, 2, ["0.897", "0.900"]],
    [0.93, 0.9, 2, ["0.93", "0.90"]],
    [0.9, 0.9, 2, ["0.90", "0.90"]],
  ])("formats %d against %d", (x, other, d, expected) => {
    expect(formatAgainst(x, other, d)).toEqual(expected);
  });
});
