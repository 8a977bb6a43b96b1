import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { percentile } from "@mlq/core";
import { TrailingPercentile } from "./trailing-percentile.js";

describe("TrailingPercentile", () => {
  it("gives the percentile of the elements added so far (hand-computed)", () => {
    const t = new TrailingPercentile([5, 1, Number.NaN, 3, 3, 9]);
    expect(t.percentile(50)).toBeNaN();
    t.addNext();
    expect(t.percentile(80)).toBe(5);
    t.addNext();
    // [1, 5]: p80 rank 0.8 → 1 + 0.8·4 = 4.2
    expect(t.percentile(80)).toBeCloseTo(4.2, 12);
    t.addNext(); // NaN: passed over
    expect([t.size, t.position]).toEqual([2, 3]);
    t.addNext();
    t.addNext();
    t.addNext();
    t.addNext(); // past the end: a no-op
    // [1, 3, 3, 5, 9]: p80 rank 3.2 → 5 + 0.2·4 = 5.8; p50 → 3
    expect(t.percentile(80)).toBeCloseTo(5.8, 12);
    expect(t.percentile(50)).toBe(3);
    expect([t.kth(0), t.kth(1), t.kth(2), t.kth(3), t.kth(4)]).toEqual([1, 3, 3, 5, 9]);
    expect([t.size, t.position]).toEqual([5, 6]);
  });

  it("orders negatives, zero, subnormals and large values like numbers", () => {
    const xs = [3, -2, 0, -1e300, 5e-324, -5e-324, 1e300, -0.5, Number.POSITIVE_INFINITY, 2];
    const t = new TrailingPercentile(xs);
    xs.forEach(() => t.addNext());
    const finite = xs.filter(Number.isFinite).sort((a, b) => a - b);
    expect(Array.from({ length: t.size }, (_, k) => t.kth(k))).toEqual(finite);
  });

  it("equals core's percentile of every prefix, bit for bit", () => {
    fc.assert(
      fc.property(
        // ties (small integers) are common; −0 is folded into 0 so "bit for bit" is well defined
        fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => v + 0), fc.integer({ min: -3, max: 5 })), {
          minLength: 1,
          maxLength: 120,
        }),
        fc.integer({ min: 0, max: 1000 }).map((p) => p / 10),
        (values, p) => {
          const t = new TrailingPercentile(values);
          values.forEach((_, i) => {
            t.addNext();
            expect(t.percentile(p)).toBe(percentile(values.slice(0, i + 1), p));
          });
        },
      ),
    );
  });
});
