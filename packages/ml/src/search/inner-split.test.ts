import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HOUR_MS, MINUTE_MS } from "@mlq/core";
import { walkForwardSplit } from "../dataset/walk-forward-split.js";
import { innerSplit } from "./inner-split.js";

/** Two symbols, one row per minute each (pooled by ts), labels ending H bars later. */
function pooled(minutes: number, horizonBars = 15) {
  const ts = new Float64Array(minutes * 2);
  const labelEndTs = new Float64Array(minutes * 2);
  for (let i = 0; i < minutes * 2; i++) {
    ts[i] = Math.floor(i / 2) * MINUTE_MS;
    labelEndTs[i] = (Math.floor(i / 2) + horizonBars) * MINUTE_MS;
  }
  return { rows: minutes * 2, ts, labelEndTs, horizonBars };
}

const OPTIONS = { trainFraction: 0.7, embargoMinHours: 2, horizonBars: 15, minTrainRows: 10, minValidationRows: 10 };

describe("innerSplit", () => {
  it("splits only the outer training rows: validation after an embargo, inner train purged of labels that reach it", () => {
    const d = pooled(5 * 1440);
    const outer = walkForwardSplit(d, { embargoMinHours: 24, minTrainRows: 10, minTestRows: 10 });
    if (!outer.ok) throw new Error(outer.reason);
    const inner = innerSplit(d, outer.train, OPTIONS);
    if (!inner.ok) throw new Error(inner.reason);
    const outerSet = new Set(outer.train);
    expect([...inner.train, ...inner.validation].every((r) => outerSet.has(r))).toBe(true);
    const lastTrainLabel = Math.max(...Array.from(inner.train, (r) => d.labelEndTs[r]!));
    const firstValidation = d.ts[inner.validation[0]!]!;
    expect(lastTrainLabel).toBeLessThan(firstValidation);
    expect(firstValidation - d.ts[inner.train[inner.train.length - 1]!]!).toBeGreaterThanOrEqual(2 * HOUR_MS);
    expect(inner.embargoHours).toBeGreaterThanOrEqual(2);
    // No validation row reaches into the outer test period's labels.
    expect(Math.max(...Array.from(inner.validation, (r) => d.labelEndTs[r]!))).toBeLessThan(d.ts[outer.test[0]!]!);
  });

  it("never lets a validation row precede an inner train row, whatever the sizes (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 400, max: 3000 }), fc.double({ min: 0.3, max: 0.9, noNaN: true }), (minutes, fraction) => {
        const d = pooled(minutes);
        const outer = Int32Array.from({ length: Math.floor(d.rows * 0.8) }, (_, i) => i);
        const inner = innerSplit(d, outer, { ...OPTIONS, trainFraction: fraction, embargoMinHours: 0.5 });
        if (!inner.ok) {
          expect(inner.reason).toMatch(/^insufficient data for the search's inner split/);
          return;
        }
        const maxLabel = Math.max(...Array.from(inner.train, (r) => d.labelEndTs[r]!));
        for (const r of inner.validation) expect(d.ts[r]!).toBeGreaterThan(maxLabel);
      }),
      { numRuns: 40 },
    );
  });

  it("says the inner split has too little data, as a result", () => {
    const d = pooled(200);
    const r = innerSplit(
      d,
      Int32Array.from({ length: 300 }, (_, i) => i),
      { ...OPTIONS, minTrainRows: 500 },
    );
    expect(r).toMatchObject({ ok: false });
    expect(!r.ok && r.reason).toMatch(/^insufficient data for the search's inner split: /);
  });
});
