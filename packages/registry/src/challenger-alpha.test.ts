import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ALPHA_WINDOW_MS, allocateChallengerAlpha } from "./challenger-alpha.js";

const DAY = 86_400_000;
const policy = { alpha: 0.05, budget: 0.25 };

describe("allocateChallengerAlpha", () => {
  it("gives the first challengers the full α, then half of what is left (hand-computed sequence)", () => {
    // budget 0.25: 0.05, 0.05, 0.05, 0.05 (left 0.05 → min(0.05, 0.025)), then 0.0125, 0.00625
    const grants: { tsMs: number; alpha: number }[] = [];
    const seen: number[] = [];
    for (let k = 0; k < 7; k++) {
      const { alpha } = allocateChallengerAlpha(grants, k * 10 * DAY, policy);
      seen.push(alpha);
      grants.push({ tsMs: k * 10 * DAY, alpha });
    }
    expect(seen).toEqual([0.05, 0.05, 0.05, 0.05, 0.025, 0.0125, 0.00625]);
  });

  it("forgets grants older than the rolling year", () => {
    const grants = [0, 1, 2, 3, 4].map((k) => ({ tsMs: k * DAY, alpha: 0.05 })); // budget spent
    expect(allocateChallengerAlpha(grants, 10 * DAY, policy).alpha).toBe(0);
    // A year after the first grant it no longer counts: 0.05 left → 0.025.
    expect(allocateChallengerAlpha(grants, ALPHA_WINDOW_MS + 0.5 * DAY, policy)).toEqual({ alpha: 0.025, spentInWindow: 0.2, remaining: 0.025 });
  });

  it("never lets Σ α_k in any rolling year exceed the budget (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 60 }), fc.double({ min: 0.001, max: 0.2, noNaN: true }), (gaps, alpha) => {
        const budget = 0.25;
        const grants: { tsMs: number; alpha: number }[] = [];
        let t = 0;
        for (const g of gaps) {
          t += g * DAY;
          grants.push({ tsMs: t, alpha: allocateChallengerAlpha(grants, t, { alpha, budget }).alpha });
        }
        for (const g of grants) {
          const inYear = grants.filter((h) => h.tsMs > g.tsMs - ALPHA_WINDOW_MS && h.tsMs <= g.tsMs).reduce((s, h) => s + h.alpha, 0);
          expect(inYear).toBeLessThanOrEqual(budget + 1e-9);
        }
      }),
    );
  });
});
