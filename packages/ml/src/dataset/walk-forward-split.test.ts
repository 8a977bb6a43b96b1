import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError, HOUR_MS, MINUTE_MS } from "@mlq/core";
import { walkForwardSplit, type SplittableDataset } from "./walk-forward-split.js";

/** One row per minute, labels ending H bars later (a gap-free single symbol). */
function minutely(rows: number, horizonBars = 15): SplittableDataset {
  const ts = new Float64Array(rows);
  const labelEndTs = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    ts[i] = i * MINUTE_MS;
    labelEndTs[i] = (i + horizonBars) * MINUTE_MS;
  }
  return { rows, ts, labelEndTs, horizonBars };
}

const SMALL = { minTrainRows: 10, minTestRows: 10 };

describe("walkForwardSplit", () => {
  it("10 days of minutes: 70 % train, 15 rows purged, a 24 h embargo, the rest test", () => {
    const split = walkForwardSplit(minutely(14_400), SMALL);
    if (!split.ok) throw new Error(split.reason);
    // boundary after row 10079; rows 10065..10079 have labels past it
    expect(split.train.length).toBe(10_065);
    expect(split.train[0]).toBe(0);
    expect(split.train[10_064]).toBe(10_064);
    expect(split.purged).toBe(15);
    // test starts 24 h after the boundary: minute 10079 + 1440
    expect(split.test[0]).toBe(11_519);
    expect(split.test.length).toBe(14_400 - 11_519);
    expect(split.embargoRows).toBe(11_519 - 10_080);
    expect(split.trainEndTs).toBe(10_064 * MINUTE_MS);
    expect(split.testStartTs).toBe(11_519 * MINUTE_MS);
    expect(split.embargoHours).toBeCloseTo(1455 / 60, 12);
  });

  it("with no minimum hours the embargo still spans H bars past every train label", () => {
    const split = walkForwardSplit(minutely(1000), { ...SMALL, embargoMinHours: 0 });
    if (!split.ok) throw new Error(split.reason);
    // boundary row 699; its label ends at minute 714; test starts right after
    expect(split.test[0]).toBe(715);
    expect(split.embargoRows).toBe(15);
    expect(split.purged).toBe(15);
  });

  it("keeps rows that share the boundary timestamp (other symbols) on the train side", () => {
    // Two symbols per minute for 10 minutes: 0.75 · 20 = 15 rows ends inside minute 7, whose other row joins train.
    const minutes = Array.from({ length: 20 }, (_, i) => Math.floor(i / 2));
    const ts = f64Of(minutes.map((m) => m * MINUTE_MS));
    const labelEndTs = f64Of(minutes.map((m) => (m + 1) * MINUTE_MS));
    const split = walkForwardSplit({ rows: 20, ts, labelEndTs, horizonBars: 1 }, { trainFraction: 0.75, embargoMinHours: 0, minTrainRows: 1, minTestRows: 1 });
    if (!split.ok) throw new Error(split.reason);
    expect(split.purged).toBe(2); // both minute-7 rows: their labels end at minute 8
    expect(split.train.length).toBe(14);
    expect(split.embargoRows).toBe(2); // minute 8 = the purged labels' end
    expect(Array.from(split.test)).toEqual([18, 19]);
  });

  it.each([
    ["no rows", minutely(0), SMALL, /insufficient data: the dataset has no rows/],
    ["too few train rows", minutely(1000), { minTrainRows: 5000, minTestRows: 1, embargoMinHours: 0 }, /insufficient data: 685 train rows after purging 15 \(need 5000\)/],
    ["the embargo eats the test set", minutely(2 * 1440), SMALL, /insufficient data: 0 test rows after an embargo of 864 rows \/ 24\.0 h \(need 10\)/],
  ])("returns ok: false for %s", (_name, ds, options, reason) => {
    const split = walkForwardSplit(ds, options);
    expect(split.ok).toBe(false);
    if (!split.ok) expect(split.reason).toMatch(reason);
  });

  it.each([
    [{ trainFraction: 1 }],
    [{ trainFraction: 0 }],
    [{ embargoMinHours: -1 }],
    [{ horizonBars: 0 }],
  ])("rejects %o with a ConfigError", (options) => {
    expect(() => walkForwardSplit(minutely(100), options)).toThrow(ConfigError);
  });

  it("property: time-ordered, disjoint, purged, and the embargo is honoured on any pooled dataset", () => {
    const datasetArb = fc
      .record({
        steps: fc.array(fc.integer({ min: 0, max: 90 }), { minLength: 50, maxLength: 400 }),
        horizon: fc.integer({ min: 2, max: 30 }),
        embargoMinHours: fc.constantFrom(0, 0.5, 2),
        trainFraction: fc.double({ min: 0.2, max: 0.9, noNaN: true }),
      })
      .map(({ steps, horizon, embargoMinHours, trainFraction }) => {
        let t = 0;
        const ts = f64Of(steps.map((s) => (t += s * MINUTE_MS)));
        // Label end: H rows later in this pooled list (at least one minute on), or H minutes past the last row.
        const labelEndTs = f64Of(Array.from(ts, (v, i) => Math.max(ts[i + horizon] ?? ts[ts.length - 1]! + horizon * MINUTE_MS, v + MINUTE_MS)));
        return { ds: { rows: ts.length, ts, labelEndTs, horizonBars: horizon }, embargoMinHours, trainFraction };
      });
    // A run whose split is "insufficient data" checks nothing: count the runs that check something.
    let runs = 0;
    let splitOk = 0;
    let purgedAndEmbargoed = 0;
    fc.assert(
      fc.property(datasetArb, ({ ds, embargoMinHours, trainFraction }) => {
        runs++;
        const split = walkForwardSplit(ds, { embargoMinHours, trainFraction, minTrainRows: 1, minTestRows: 1 });
        if (!split.ok) {
          expect(split.reason).toMatch(/^insufficient data: /);
          return;
        }
        splitOk++;
        if (split.purged > 0 && split.embargoRows > 0) purgedAndEmbargoed++;
        const lastTrain = split.train[split.train.length - 1]!;
        expect(lastTrain).toBeLessThan(split.test[0]!);
        for (let k = 1; k < split.test.length; k++) expect(split.test[k]).toBe(split.test[k - 1]! + 1);
        expect(split.test[split.test.length - 1]).toBe(ds.rows - 1);
        for (const i of split.train) expect(ds.labelEndTs[i]!).toBeLessThan(split.testStartTs);
        expect(split.testStartTs - split.trainEndTs).toBeGreaterThanOrEqual(Math.max(embargoMinHours * HOUR_MS, ds.horizonBars * MINUTE_MS));
        expect(split.embargoHours).toBeCloseTo((split.testStartTs - split.trainEndTs) / HOUR_MS, 9);
        expect(split.train.length + split.purged + split.embargoRows + split.test.length).toBe(ds.rows);
      }),
      { numRuns: 200 },
    );
    // About 65 % split (observed 119–136 of 200 over random seeds); 40 % is far below any seed's share.
    expect(runs).toBe(200);
    expect(splitOk / runs).toBeGreaterThanOrEqual(0.4);
    expect(purgedAndEmbargoed / runs).toBeGreaterThanOrEqual(0.4);
  });
});

function f64Of(xs: readonly number[]): Float64Array {
  return Float64Array.from(xs);
}
