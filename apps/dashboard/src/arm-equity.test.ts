import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { armEquity, cumulativeSum, type ClosedTrade } from "./arm-equity.js";

const t = (closedTsMs: number, pnlPct: number, modelArm: string | null = null): ClosedTrade => ({ closedTsMs, pnlPct, modelArm });

describe("cumulativeSum", () => {
  it.each([
    [[], []],
    [[1, -2, 3], [1, -1, 2]],
    [[0.5, 0.25], [0.5, 0.75]],
  ])("%j -> %j", (xs, out) => expect(cumulativeSum(xs)).toEqual(out));

  it("ends at the total", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 })), (xs) => {
        const c = cumulativeSum(xs);
        expect(c.length).toBe(xs.length);
        expect(c.at(-1) ?? 0).toBe(xs.reduce((a, b) => a + b, 0));
      }),
    );
  });
});

describe("armEquity", () => {
  it("splits by model_arm when any trade carries it, ignoring untagged trades", () => {
    const r = armEquity([t(1, 1, "v1_backtest"), t(2, 2, "v2_paper"), t(3, 5, null), t(4, -1, "v2_paper")], 2);
    expect(r).toEqual({ method: "model_arm", armA: [1], armB: [2, 1], boundaryTsMs: null });
  });

  it("splits temporally at the last successful retrain otherwise", () => {
    const r = armEquity([t(1, 1), t(2, 2), t(3, -0.5), t(4, 1)], 3);
    expect(r).toEqual({ method: "temporal", armA: [1, 3], armB: [-0.5, 0.5], boundaryTsMs: 3 });
  });

  it("puts everything in arm A when there is neither tag nor retrain", () => {
    expect(armEquity([t(1, 1), t(2, Number.NaN), t(3, 2)], null)).toEqual({ method: "none", armA: [1, 3], armB: [], boundaryTsMs: null });
  });
});
