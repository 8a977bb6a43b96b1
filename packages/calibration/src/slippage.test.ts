import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sideSkipReason, sideSlippagePct, timeOfDayBucket, type FillKind, type TradeSide } from "./slippage.js";

describe("sideSlippagePct", () => {
  it.each<[TradeSide, FillKind, number, number, number]>([
    ["long", "entry", 100, 100.1, 0.1], // bought above the signal: adverse
    ["long", "entry", 100, 99.9, -0.1], // bought below: favourable
    ["long", "exit", 200, 199.8, 0.1], // sold below the signal: adverse
    ["long", "exit", 200, 200.2, -0.1],
    ["short", "entry", 50, 49.95, 0.1], // sold below the signal: adverse
    ["short", "entry", 50, 50.05, -0.1],
    ["short", "exit", 50, 50.1, 0.2], // bought back above: adverse
    ["short", "exit", 50, 49.9, -0.2],
    ["long", "entry", 100, 100, 0],
  ])("%s %s signal %d fill %d → %d %%", (side, kind, signal, fill, expected) => {
    expect(sideSlippagePct(side, kind, signal, fill)).toBeCloseTo(expected, 10);
  });

  it.each([
    [null, 100, "null_signal"],
    [0, 100, "zero_signal"],
    [Number.NaN, 100, "invalid_price"],
    [-5, 100, "invalid_price"],
    ["100", 100, "invalid_price"],
    [100, null, "missing_fill"],
    [100, Number.NaN, "invalid_price"],
    [100, Number.POSITIVE_INFINITY, "invalid_price"],
    [100, 0, "invalid_price"],
  ])("skips signal %s / fill %s as %s and returns null", (signal, fill, reason) => {
    expect(sideSkipReason(signal, fill)).toBe(reason);
    expect(sideSlippagePct("long", "entry", signal as number, fill as number)).toBeNull();
  });

  it("mirrors long and short, and entry and exit, for the same prices", () => {
    const price = fc.double({ min: 0.01, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(price, price, (signal, fill) => {
        const longEntry = sideSlippagePct("long", "entry", signal, fill)!;
        expect(sideSlippagePct("short", "entry", signal, fill)).toBeCloseTo(-longEntry, 9);
        expect(sideSlippagePct("long", "exit", signal, fill)).toBeCloseTo(-longEntry, 9);
        expect(sideSlippagePct("short", "exit", signal, fill)).toBeCloseTo(longEntry, 9);
      }),
    );
  });
});

describe("timeOfDayBucket", () => {
  const at = (h: number, m = 0, s = 0, ms = 0) => Date.UTC(2026, 2, 14, h, m, s, ms);
  it.each([
    [at(0), "00-06"],
    [at(5, 59, 59, 999), "00-06"],
    [at(6), "06-12"],
    [at(11, 59, 59, 999), "06-12"],
    [at(12), "12-18"],
    [at(18), "18-24"],
    [at(23, 59, 59, 999), "18-24"],
    [Date.UTC(1969, 11, 31, 23, 0), "18-24"], // negative timestamps still map by UTC hour
  ])("puts %d in %s", (ts, bucket) => {
    expect(timeOfDayBucket(ts)).toBe(bucket);
  });

  it("agrees with the UTC hour of any timestamp", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e13, max: 4e12 }), (ts) => {
        const hour = new Date(ts).getUTCHours();
        const lo = Math.floor(hour / 6) * 6;
        expect(timeOfDayBucket(ts)).toBe(`${String(lo).padStart(2, "0")}-${String(lo + 6).padStart(2, "0")}`);
      }),
    );
  });
});
