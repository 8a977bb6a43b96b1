import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DAY_MS, MINUTE_MS } from "@mlq/core";
import { allocateTicks, demoAnchors, MINUTES_PER_YEAR, planRegimes, REGIMES, simulateMinutePath, type RegimePlan } from "./market-model.js";
import { createRng } from "@mlq/core";

const FROM = Date.UTC(2026, 9, 1);

function lag1Autocorrelation(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m += xs[i]!;
  m /= xs.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    den += (xs[i]! - m) ** 2;
    if (i > 0) num += (xs[i]! - m) * (xs[i - 1]! - m);
  }
  return num / den;
}

function constantPlan(regimeName: string, vol: number, minutes: number): RegimePlan {
  const index = REGIMES.findIndex((r) => r.name === regimeName);
  return { regime: new Uint8Array(minutes).fill(index), vol: new Float32Array(minutes).fill(vol), drift: new Float32Array(minutes) };
}

describe("allocateTicks", () => {
  it.each([
    { weights: [1, 1, 2], total: 8, expected: [2, 2, 4] },
    { weights: [1, 1, 2], total: 3, expected: [1, 1, 1] },
    { weights: [1, 3], total: 2, expected: [1, 1] },
    { weights: [3, 1], total: 1, expected: [0, 1] },
    { weights: [1, 1, 1, 1], total: 2, expected: [0, 1, 0, 1] },
  ])("splits $total over $weights as $expected", ({ weights, total, expected }) => {
    expect(Array.from(allocateTicks(weights, total))).toEqual(expected);
  });

  it("always hands out exactly the total, one per minute first when there are enough", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.1, max: 5, noNaN: true }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 5000 }), (w, total) => {
        const counts = allocateTicks(w, total);
        const sum = counts.reduce((a, b) => a + b, 0);
        const everyMinute = total < w.length || counts.every((c) => c >= 1);
        return sum === total && everyMinute;
      }),
    );
  });
});

describe("planRegimes", () => {
  it("keeps each episode at least an hour and its vol inside the regime's range", () => {
    const minutes = 10 * 1440;
    const plan = planRegimes(createRng(5, "regimes"), FROM, minutes);
    let start = 0;
    for (let m = 1; m <= minutes; m++) {
      if (m === minutes || plan.regime[m] !== plan.regime[start] || plan.vol[m] !== plan.vol[start]) {
        if (m < minutes) expect(m - start).toBeGreaterThanOrEqual(60);
        const spec = REGIMES[plan.regime[start]!]!;
        expect(plan.vol[start]!).toBeGreaterThanOrEqual(spec.volRange[0] - 1e-6);
        expect(plan.vol[start]!).toBeLessThanOrEqual(spec.volRange[1] + 1e-6);
        start = m;
      }
    }
  });

  it("forces anchored UTC days into their regime for the whole day", () => {
    const minutes = 5 * 1440;
    const plan = planRegimes(createRng(5, "regimes"), FROM, minutes, [{ dayStartMs: FROM + 2 * DAY_MS, regime: "volatile", vol: 1.4 }]);
    const day = plan.regime.subarray(2 * 1440, 3 * 1440);
    expect(day.every((r) => REGIMES[r]!.name === "volatile")).toBe(true);
    expect(plan.vol[2 * 1440 + 700]).toBeCloseTo(1.4, 5);
  });
});

describe("demoAnchors", () => {
  it("puts one calm and one volatile full UTC day inside the paper period", () => {
    const to = Date.UTC(2026, 10, 1, 10, 30);
    const paperFrom = to - 16 * DAY_MS;
    const anchors = demoAnchors(paperFrom, to);
    expect(anchors.map((a) => a.regime)).toEqual(["calm", "volatile"]);
    for (const a of anchors) {
      expect(a.dayStartMs % DAY_MS).toBe(0);
      expect(a.dayStartMs).toBeGreaterThanOrEqual(paperFrom);
      expect(a.dayStartMs + DAY_MS).toBeLessThanOrEqual(to);
    }
  });

  it("plans no anchors when the paper period has fewer than three full days", () => {
    const to = Date.UTC(2026, 10, 1, 10, 30);
    expect(demoAnchors(to - 2 * DAY_MS, to)).toEqual([]);
  });
});

describe("simulateMinutePath", () => {
  it("plants positive autocorrelation (0.1–0.4) in trending minutes and negative in ranging ones", () => {
    const minutes = 20_000;
    const returns = (regime: string) => {
      const { logPrice } = simulateMinutePath(createRng(9, regime), constantPlan(regime, 0.5, minutes), FROM, 100, 1);
      return Float64Array.from({ length: minutes }, (_, i) => logPrice[i + 1]! - logPrice[i]!);
    };
    const trending = lag1Autocorrelation(returns("trending"));
    expect(trending).toBeGreaterThan(0.1);
    expect(trending).toBeLessThan(0.4);
    expect(lag1Autocorrelation(returns("ranging"))).toBeLessThan(-0.03);
  });

  it("scales the per-minute sigma with the regime vol, the symbol multiplier and the hour", () => {
    const { minuteSigma, logPrice } = simulateMinutePath(createRng(1), constantPlan("calm", 0.2, 1440), FROM, 3000, 1.5);
    expect(logPrice[0]).toBeCloseTo(Math.log(3000), 12);
    const base = (0.2 * 1.5) / Math.sqrt(MINUTES_PER_YEAR);
    // 03:00 UTC is the quietest minute (×0.75), 15:00 UTC the busiest (×1.25); vol is stored as float32.
    expect(minuteSigma[(3 * 60 * MINUTE_MS) / MINUTE_MS]! / base).toBeCloseTo(0.75, 6);
    expect(minuteSigma[15 * 60]! / base).toBeCloseTo(1.25, 6);
  });
});
