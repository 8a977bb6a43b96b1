import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { mean, std } from "./stats.js";
import { createRng } from "./random.js";

describe("createRng", () => {
  it("repeats the same sequence for the same seed and stream", () => {
    const a = createRng(7, "ticks:BTC-USDT");
    const b = createRng(7, "ticks:BTC-USDT");
    const xs = Array.from({ length: 50 }, () => a.next());
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(xs);
  });

  it("gives different sequences for different seeds and for different streams", () => {
    const first = (seed: number, stream: string) => Array.from({ length: 5 }, createRng(seed, stream).next);
    expect(first(1, "a")).not.toEqual(first(2, "a"));
    expect(first(1, "a")).not.toEqual(first(1, "b"));
  });

  it("keeps next() in [0, 1), nextOpen() in (0, 1] and int(n) in [0, n)", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 1000 }), (seed, n) => {
        const rng = createRng(seed);
        for (let i = 0; i < 200; i++) {
          const u = rng.next();
          const v = rng.nextOpen();
          const k = rng.int(n);
          if (!(u >= 0 && u < 1 && v > 0 && v <= 1 && Number.isInteger(k) && k >= 0 && k < n)) return false;
        }
        return true;
      }),
    );
  });

  it("draws normals with mean ~0 and sd ~1 and exponentials with mean ~1", () => {
    const rng = createRng(123, "moments");
    const normals = Float64Array.from({ length: 100_000 }, () => rng.normal());
    const exps = Float64Array.from({ length: 100_000 }, () => rng.exponential());
    expect(Math.abs(mean(normals))).toBeLessThan(0.015);
    expect(std(normals)).toBeCloseTo(1, 1);
    expect(mean(exps)).toBeCloseTo(1, 1);
    expect(Math.min(...exps)).toBeGreaterThan(0);
  });
});
