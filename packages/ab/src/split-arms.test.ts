import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitArms, type SplitTrade } from "./split-arms.js";

const trade = (id: number, closedTsMs: number, pnlPct: number, modelArm: string | null = null): SplitTrade => ({ id, closedTsMs, pnlPct, modelArm });

describe("splitArms", () => {
  it("splits by model_arm when trades carry it, counting untagged trades", () => {
    const trades = [trade(1, 10, 1, "v1_backtest"), trade(2, 20, 2, "v2_paper"), trade(3, 30, 3, null), trade(4, 40, 4, "v3_other"), trade(5, 50, 5, "v2_paper")];
    const s = splitArms(trades, { lastRetrainTsMs: 25, hasModelArm: true });
    expect(s.method).toBe("model_arm");
    expect(s.a.returns).toEqual([1]);
    expect(s.b.returns).toEqual([2, 5]);
    expect(s.b.closeTsMs).toEqual([20, 50]);
    expect(s.untagged).toBe(2);
  });

  it("splits in time at the last retrain when no trade is tagged (closed at the boundary → A)", () => {
    const trades = [trade(1, 10, 1), trade(2, 25, 2), trade(3, 26, 3), trade(4, 40, 4)];
    const s = splitArms(trades, { lastRetrainTsMs: 25, hasModelArm: true });
    expect(s.method).toBe("temporal");
    expect(s.boundaryTsMs).toBe(25);
    expect(s.a.returns).toEqual([1, 2]);
    expect(s.b.returns).toEqual([3, 4]);
  });

  it("ignores model_arm values when the column does not exist", () => {
    const s = splitArms([trade(1, 10, 1, "v2_paper"), trade(2, 30, 2, "v2_paper")], { lastRetrainTsMs: 20, hasModelArm: false });
    expect(s.method).toBe("temporal");
    expect(s.a.returns).toEqual([1]);
    expect(s.b.returns).toEqual([2]);
  });

  it("puts everything in arm A before the first successful retrain", () => {
    const s = splitArms([trade(1, 10, 1), trade(2, 30, 2)], { lastRetrainTsMs: null, hasModelArm: false });
    expect(s.a.returns).toEqual([1, 2]);
    expect(s.b.returns).toEqual([]);
  });

  it("orders each arm by (close time, id) whatever the input order", () => {
    const s = splitArms([trade(3, 20, 3), trade(2, 10, 2), trade(1, 20, 1)], { lastRetrainTsMs: null, hasModelArm: false });
    expect(s.a.returns).toEqual([2, 1, 3]);
  });

  it("assigns every trade exactly once", () => {
    const arb = fc.array(
      fc.record({ id: fc.nat(), closedTsMs: fc.integer({ min: 0, max: 1000 }), pnlPct: fc.double({ noNaN: true, min: -5, max: 5 }), modelArm: fc.constantFrom(null, "v1_backtest", "v2_paper", "x") }),
      { maxLength: 50 },
    );
    fc.assert(
      fc.property(arb, fc.option(fc.integer({ min: 0, max: 1000 })), fc.boolean(), (trades, boundary, hasModelArm) => {
        const s = splitArms(trades, { lastRetrainTsMs: boundary, hasModelArm });
        expect(s.a.returns.length + s.b.returns.length + s.untagged).toBe(trades.length);
        if (s.method === "temporal" && boundary !== null) {
          expect(s.a.closeTsMs.every((t) => t <= boundary)).toBe(true);
          expect(s.b.closeTsMs.every((t) => t > boundary)).toBe(true);
        }
      }),
    );
  });
});
