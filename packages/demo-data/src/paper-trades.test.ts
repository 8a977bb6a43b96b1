import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DAY_MS, HOUR_MS, MINUTE_MS, mean } from "@mlq/core";
import { drawSlippagePct, fillTrade, planTrades, SLIPPAGE_MEAN_PCT_BY_BUCKET, timeOfDayBucket } from "./paper-trades.js";
import { createRng } from "@mlq/core";

const identity = (p: number) => p;

describe("fillTrade", () => {
  it.each([
    {
      name: "long, adverse slippage on both sides",
      side: "long" as const,
      signalEntry: 100,
      signalExit: 101,
      entrySlippagePct: 0.05,
      exitSlippagePct: 0.05,
      expected: { qty: 10, entryPrice: 100.05, exitPrice: 100.9495, fees: 1.205997, pnl: 7.789003, pnlPct: 0.77851104 },
    },
    {
      name: "short, adverse entry and favourable exit",
      side: "short" as const,
      signalEntry: 100,
      signalExit: 99,
      entrySlippagePct: 0.1,
      exitSlippagePct: -0.02,
      expected: { qty: 10, entryPrice: 99.9, exitPrice: 98.9802, fees: 1.1932812, pnl: 8.0047188, pnlPct: 0.80127315 },
    },
  ])("computes fills, fees and pnl for a $name trade", ({ side, signalEntry, signalExit, entrySlippagePct, exitSlippagePct, expected }) => {
    const row = fillTrade({ side, notionalUsd: 1000, signalEntry, signalExit, entrySlippagePct, exitSlippagePct, roundPrice: identity });
    expect(row.qty).toBe(expected.qty);
    expect(row.entryPrice).toBeCloseTo(expected.entryPrice, 10);
    expect(row.exitPrice!).toBeCloseTo(expected.exitPrice, 10);
    expect(row.fees).toBeCloseTo(expected.fees, 9);
    expect(row.pnl!).toBeCloseTo(expected.pnl, 9);
    expect(row.pnlPct!).toBeCloseTo(expected.pnlPct, 7);
  });

  it("leaves exit, pnl and pnl_pct empty for an open trade and charges the entry fee only", () => {
    const row = fillTrade({ side: "long", notionalUsd: 2000, signalEntry: 50, signalExit: null, entrySlippagePct: 0, exitSlippagePct: 0, roundPrice: identity });
    expect(row).toEqual({ side: "long", qty: 40, entryPrice: 50, exitPrice: null, fees: 40 * 50 * 0.0006, pnl: null, pnlPct: null });
  });

  it("makes pnl + fees carry the sign of side × (exit − entry) and pnl_pct = pnl / entry notional", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("long" as const, "short" as const),
        fc.double({ min: 1, max: 100_000, noNaN: true }),
        fc.double({ min: -0.2, max: 0.2, noNaN: true }),
        fc.double({ min: -0.2, max: 0.2, noNaN: true }),
        fc.double({ min: -0.2, max: 0.2, noNaN: true }),
        (side, signalEntry, move, slipIn, slipOut) => {
          const row = fillTrade({ side, notionalUsd: 1000, signalEntry, signalExit: signalEntry * (1 + move), entrySlippagePct: slipIn, exitSlippagePct: slipOut, roundPrice: identity });
          const sign = side === "long" ? 1 : -1;
          const gross = row.pnl! + row.fees;
          const expectedGross = sign * row.qty * (row.exitPrice! - row.entryPrice);
          return (
            Math.abs(gross - expectedGross) <= 1e-9 * Math.max(1, Math.abs(expectedGross)) &&
            row.fees > 0 &&
            Math.abs(row.pnlPct! - (row.pnl! / (row.qty * row.entryPrice)) * 100) < 1e-9
          );
        },
      ),
    );
  });
});

describe("timeOfDayBucket", () => {
  it.each([
    [Date.UTC(2026, 0, 1, 0, 0), 0],
    [Date.UTC(2026, 0, 1, 5, 59, 59, 999), 0],
    [Date.UTC(2026, 0, 1, 6, 0), 1],
    [Date.UTC(2026, 0, 1, 12, 0), 2],
    [Date.UTC(2026, 0, 1, 17, 30), 2],
    [Date.UTC(2026, 0, 1, 18, 0), 3],
    [Date.UTC(2026, 0, 1, 23, 59), 3],
  ])("puts %s in bucket %s", (ts, bucket) => {
    expect(timeOfDayBucket(ts)).toBe(bucket);
  });
});

describe("drawSlippagePct", () => {
  it("averages the designed bucket means in calm markets, with some favourable fills", () => {
    const rng = createRng(3, "slippage");
    const day = Date.UTC(2026, 0, 1);
    const means = [0, 1, 2, 3].map((bucket) => {
      const draws = Float64Array.from({ length: 20_000 }, () => drawSlippagePct(rng, day + bucket * 6 * HOUR_MS + HOUR_MS, 0.25));
      return { mean: mean(draws), favourable: draws.filter((d) => d < 0).length / draws.length };
    });
    // regime factor at vol 0.25 is 0.8 + 0.4 · 0.5 = 1.0
    means.forEach((m, bucket) => expect(m.mean).toBeCloseTo(SLIPPAGE_MEAN_PCT_BY_BUCKET[bucket]!, 3));
    for (const m of means) expect(m.favourable).toBeGreaterThan(0.05);
    expect(means[1]!.mean).toBeGreaterThan(means[2]!.mean);
    expect(means[2]!.mean).toBeGreaterThan(means[3]!.mean);
    expect(means[3]!.mean).toBeGreaterThan(means[0]!.mean);
  });

  it("charges more slippage in volatile regimes", () => {
    const at = Date.UTC(2026, 0, 1, 8);
    const avg = (vol: number) => {
      const rng = createRng(4, "slippage");
      return mean(Float64Array.from({ length: 5000 }, () => drawSlippagePct(rng, at, vol)));
    };
    expect(avg(1.4)).toBeGreaterThan(avg(0.15) * 1.5);
  });
});

describe("planTrades", () => {
  const to = Date.UTC(2026, 10, 1);
  const paperFrom = to - 16 * DAY_MS;
  const base = { closedTrades: 300, openTrades: 3, symbolCount: 2, paperFromMs: paperFrom, toMs: to, arms: true };

  it("keeps closed trades inside the paper period, opens the first within 30 minutes of its start", () => {
    const trades = planTrades(createRng(1), { ...base, logPriceAt: () => 0 });
    const closed = trades.filter((t) => t.closeAtMs !== null);
    expect(closed).toHaveLength(300);
    expect(trades.filter((t) => t.closeAtMs === null)).toHaveLength(3);
    for (const t of closed) {
      expect(t.openAtMs).toBeGreaterThanOrEqual(paperFrom);
      expect(t.closeAtMs! - t.openAtMs).toBeGreaterThanOrEqual(3 * MINUTE_MS);
      expect(t.closeAtMs!).toBeLessThanOrEqual(to - 2 * MINUTE_MS);
    }
    expect(Math.min(...trades.map((t) => t.openAtMs)) - paperFrom).toBeLessThanOrEqual(30 * MINUTE_MS);
  });

  it("splits arms half and half and gives v2_paper the better side calls", () => {
    // Price rises linearly: a long is the right call for every trade.
    const trades = planTrades(createRng(2), { ...base, closedTrades: 4000, openTrades: 0, logPriceAt: (_s, ts) => ts / DAY_MS });
    const rightRate = (arm: string) => {
      const armTrades = trades.filter((t) => t.modelArm === arm);
      return { n: armTrades.length, right: armTrades.filter((t) => t.side === "long").length / armTrades.length };
    };
    const v1 = rightRate("v1_backtest");
    const v2 = rightRate("v2_paper");
    expect(v1.n).toBe(2000);
    expect(v2.n).toBe(2000);
    expect(v1.right).toBeCloseTo(0.58, 1);
    expect(v2.right).toBeCloseTo(0.7, 1);
  });

  it("tags no arm when arms is off", () => {
    const trades = planTrades(createRng(2), { ...base, arms: false, logPriceAt: () => 0 });
    expect(trades.every((t) => t.modelArm === null)).toBe(true);
  });
});
