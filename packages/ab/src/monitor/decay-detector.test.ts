import { createRng } from "@mlq/core";
import { describe, expect, it } from "vitest";
import { studentT } from "../sequential/simulation.test-util.js";
import { cusumArl, cusumThresholdForArl, decayAllowance, decayThreshold, detectDecay } from "./decay-detector.js";

describe("detectDecay", () => {
  it("computes the CUSUM by hand on a short series", () => {
    // warm-up 2 trades: [1, −1] → σ = √2. k = 0.5 − (0.5 − (−0.5))/3 = 1/6.
    // trade 3: r = −2, z = −2/√2 = −1.41421 → S = max(0, 0 + 1/6 + 1.41421) = 1.58088
    // then σ of [1, −1, −2] = 1.52753; trade 4: r = 1, z = 0.65465 → S = 1.58088 + 1/6 − 0.65465 = 1.09289
    const s = detectDecay([1, -1, -2, 1], { referenceSharpe: 0.5, decaySharpe: -0.5, threshold: 1, warmupTrades: 2 });
    expect(s.statistic).toBeCloseTo(1.09289, 4);
    expect(s.peak).toBeCloseTo(1.58088, 4);
    expect(s.alarmAt).toBe(2);
    expect(s.trades).toBe(4);
    expect(s.sigma).toBeCloseTo(Math.sqrt((1 + 1 + 4 + 1 - (1 / 4) * 1) / 3), 10);
  });

  it("clips one huge loss so it cannot raise the alarm alone", () => {
    const calm = Array.from({ length: 60 }, (_, i) => (i % 2 ? 1 : -1));
    const s = detectDecay([...calm, -1000], { referenceSharpe: 0.05, decaySharpe: -0.1, threshold: 4 });
    expect(s.alarmAt).toBeNull();
    expect(s.statistic).toBeLessThanOrEqual(3 + decayAllowance({ referenceSharpe: 0.05, decaySharpe: -0.1 }) + 1e-9 + 1);
  });

  it("skips non-finite returns", () => {
    const a = detectDecay([1, -1, 2, -2, 0.5], { referenceSharpe: 0.1, decaySharpe: -0.1, threshold: 9, warmupTrades: 2 });
    const b = detectDecay([1, -1, Number.NaN, 2, -2, Number.POSITIVE_INFINITY, 0.5], {
      referenceSharpe: 0.1,
      decaySharpe: -0.1,
      threshold: 9,
      warmupTrades: 2,
    });
    expect(b).toEqual(a);
  });
});

describe("cusumArl / cusumThresholdForArl", () => {
  it("Siegmund's approximation by hand and its inverse", () => {
    // drift 0.075, h = 30: b = 31.166, x = 4.6749 → (e^x − x − 1)/(2·0.075²) = (107.22 − 5.6749)/0.01125 = 9026
    expect(cusumArl(0.075, 30)).toBeCloseTo(9026, -1);
    expect(cusumThresholdForArl(0.075, cusumArl(0.075, 30))).toBeCloseTo(30, 6);
    // allowance 0.05 − 0.15/3 = 0 → in-control drift 0.05
    expect(decayThreshold({ referenceSharpe: 0.05, decaySharpe: -0.1 }, 7300, 0.5)).toBeCloseTo(cusumThresholdForArl(0.05, 14600), 9);
  });
});

describe("the decay detector on simulated champions (Student-t ν = 5, 20 trades a day, σ estimated)", () => {
  const policy = { referenceSharpe: 0.05, decaySharpe: -0.1 };
  const threshold = decayThreshold(policy, 20 * 365, 0.5);
  const rng = createRng(42, "decay-detector");
  const draw = (sr: number) => 0.8 * (sr + studentT(rng, 5));

  it("rolls a healthy champion (Sharpe 0.05) back at most once per simulated year on average (60 years)", () => {
    let alarms = 0;
    const years = 60;
    for (let y = 0; y < years; y++) {
      const rs = Array.from({ length: 7300 }, () => draw(0.05));
      // after a rollback the next champion starts a fresh detector
      for (let start = 0; ;) {
        const s = detectDecay(rs.slice(start), { ...policy, threshold });
        if (s.alarmAt === null) break;
        alarms++;
        start += s.alarmAt + 1;
      }
    }
    expect(alarms / years).toBeLessThanOrEqual(1);
  });

  it("catches a drop to Sharpe −0.10 within 30 days in at least 85 % of 1,000 runs", () => {
    let caught = 0;
    const delays: number[] = [];
    const runs = 1000;
    for (let r = 0; r < runs; r++) {
      const rs = [...Array.from({ length: 600 }, () => draw(0.05)), ...Array.from({ length: 1200 }, () => draw(-0.1))];
      const s = detectDecay(rs, { ...policy, threshold });
      if (s.alarmAt !== null && s.alarmAt >= 600) {
        delays.push((s.alarmAt - 600) / 20);
        if (s.alarmAt - 600 < 600) caught++;
      }
    }
    expect(caught / runs).toBeGreaterThanOrEqual(0.85);
    delays.sort((a, b) => a - b);
    expect(delays[Math.floor(delays.length / 2)]!).toBeLessThan(20);
  });
});
