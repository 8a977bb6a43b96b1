// The drift rule's false-trigger rate on stationary demo data (issue 17): baseline on 14 days, then the
// hourly monitor over the next 30 days of the same regime chain, 20 seeds, at the pure-function level.
import { describe, expect, it } from "vitest";
import { simulateDriftMonitor } from "./drift-simulation.test-util.js";

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

describe("the monitor's drift rule on stationary demo data", () => {
  it("triggers at most one drift retrain per 30 days on average over 20 seeds (default settings)", () => {
    const retrains = SEEDS.map((seed) => simulateDriftMonitor({ seed }).retrainsMs.length);
    const mean = retrains.reduce((a, b) => a + b, 0) / SEEDS.length;
    console.log(`drift retrains per 30 stationary days: ${retrains.join(" ")} (mean ${mean})`);
    // Measured when written: mean 0.55 (0–2 per seed); the bound is the issue's.
    expect(mean).toBeLessThanOrEqual(1);
  }, 300_000);

  it("fires on a planted one-way trend after training, within the first day", () => {
    const s = simulateDriftMonitor({ seed: 3, monitorDays: 3, trendShift: 0.3 });
    expect(s.retrainsMs.length).toBeGreaterThanOrEqual(1);
    // The first window wholly after training already fires; the cooldown then allows one a day.
    expect(s.retrainsMs.length).toBeLessThanOrEqual(3);
    expect(s.firedHours).toBeGreaterThan(s.hours / 2);
  }, 60_000);
});
