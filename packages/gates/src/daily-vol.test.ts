import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DAY_MS, MINUTE_MS } from "@mlq/core";
import { dailyRealizedVols } from "./daily-vol.js";
import type { CloseSeries } from "./types.js";

/** A series from (minute offset, close) pairs; only ts and close matter here. */
export function series(points: readonly [number, number][], symbol = "BTC", startMs = 10 * DAY_MS): CloseSeries {
  const ts = Float64Array.from(points, ([m]) => startMs + m * MINUTE_MS);
  const close = Float64Array.from(points, ([, c]) => c);
  return { symbol, ts, close };
}

const ANNUAL_PCT = Math.sqrt(525_600) * 100;

describe("dailyRealizedVols", () => {
  it.each([
    // std of two returns = |r1 − r2| / √2
    [
      "two returns",
      [
        [0, 100],
        [1, 110],
        [2, 99],
      ],
      (Math.log(11 / 9) / Math.SQRT2) * ANNUAL_PCT,
      2,
    ],
    // r = [a, −a, a]: std = 2a/√3
    [
      "alternating ±1 %",
      [
        [0, 100],
        [1, 101],
        [2, 100],
        [3, 101],
      ],
      ((2 * Math.log(1.01)) / Math.sqrt(3)) * ANNUAL_PCT,
      3,
    ],
    // the 3-minute gap is allowed (≤ 5 min) and enters as r/√3, the 20-minute gap is skipped:
    // z = [a, −a/√3, a] with a = ln 1.01, so var(ddof 1) = a²·(4/9 + 2/(3√3))
    [
      "gaps",
      [
        [0, 100],
        [1, 101],
        [4, 100],
        [24, 150],
        [25, 151.5],
      ],
      Math.log(1.01) * Math.sqrt(4 / 9 + 2 / (3 * Math.sqrt(3))) * ANNUAL_PCT,
      3,
    ],
    // r = [0.02 over 2 min, −0.01 over 1 min] → z = [0.02/√2, −0.01]; std = |z1 − z2| / √2
    [
      "a 2-minute return scaled by 1/√2",
      [
        [0, 100],
        [2, 100 * Math.exp(0.02)],
        [3, 100 * Math.exp(0.01)],
      ],
      ((0.02 / Math.SQRT2 + 0.01) / Math.SQRT2) * ANNUAL_PCT,
      2,
    ],
  ] as [string, [number, number][], number, number][])("computes %s", (_label, points, vol, returns) => {
    const out = dailyRealizedVols(series(points), 2);
    expect(out).toHaveLength(1);
    expect(out[0]!.vol).toBeCloseTo(vol, 9);
    expect(out[0]).toMatchObject({ symbol: "BTC", dayMs: 10 * DAY_MS, returns });
  });

  it("checks the first case by its decimal value", () => {
    expect(
      dailyRealizedVols(
        series([
          [0, 100],
          [1, 110],
          [2, 99],
        ]),
        2,
      )[0]!.vol,
    ).toBeCloseTo(10287.187041624562, 6);
  });

  it("checks the gap cases by their decimal values", () => {
    const gaps: [number, number][] = [
      [0, 100],
      [1, 101],
      [4, 100],
      [24, 150],
      [25, 151.5],
    ];
    // 0.00995033·0.910671·724.983·100; the old estimator (gap returns as one-minute returns) gave 833.0
    expect(dailyRealizedVols(series(gaps), 2)[0]!.vol).toBeCloseTo(656.9506045657594, 6);
    const twoMinute: [number, number][] = [
      [0, 100],
      [2, 100 * Math.exp(0.02)],
      [3, 100 * Math.exp(0.01)],
    ];
    expect(dailyRealizedVols(series(twoMinute), 2)[0]!.vol).toBeCloseTo(1237.62298, 4);
  });

  it("gives a 2-minute series of ±a√2 moves the vol of a 1-minute series of ±a moves", () => {
    const a = 0.004;
    const oneMinute = Array.from({ length: 61 }, (_, i) => [i, 100 * Math.exp(i % 2 === 0 ? 0 : a)] as [number, number]);
    const twoMinute = Array.from({ length: 61 }, (_, i) => [2 * i, 100 * Math.exp(i % 2 === 0 ? 0 : a * Math.SQRT2)] as [number, number]);
    const v1 = dailyRealizedVols(series(oneMinute), 60)[0]!.vol;
    const v2 = dailyRealizedVols(series(twoMinute), 60)[0]!.vol;
    expect(v2).toBeCloseTo(v1, 9);
  });

  it("never counts a return across UTC midnight", () => {
    // bars at 23:58, 23:59 (day 10) and 00:00, 00:01, 00:02 (day 11)
    const out = dailyRealizedVols(
      series([
        [1438, 100],
        [1439, 101],
        [1440, 200],
        [1441, 202],
        [1442, 200],
      ]),
      1,
    );
    expect(out.map((v) => [v.dayMs, v.returns])).toEqual([[11 * DAY_MS, 2]]);
  });

  it("drops days with fewer than minReturns returns", () => {
    const day = Array.from({ length: 61 }, (_, i) => [i, 100 + (i % 2)] as [number, number]);
    expect(dailyRealizedVols(series(day), 60)).toHaveLength(1);
    expect(dailyRealizedVols(series(day.slice(0, 60)), 60)).toHaveLength(0);
  });

  it("honours maxGapMinutes", () => {
    const points: [number, number][] = [
      [0, 100],
      [1, 101],
      [3, 100],
      [5, 101],
    ];
    expect(dailyRealizedVols(series(points), 2, { maxGapMinutes: 1 })).toHaveLength(0);
    expect(dailyRealizedVols(series(points), 2, { maxGapMinutes: 2 })[0]!.returns).toBe(3);
  });

  it("is scale invariant and never NaN", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 1000, noNaN: true }), { minLength: 3, maxLength: 200 }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        (closes, k) => {
          const a = dailyRealizedVols(series(closes.map((c, i) => [i, c])), 2);
          const b = dailyRealizedVols(series(closes.map((c, i) => [i, c * k])), 2);
          expect(a).toHaveLength(1);
          expect(a[0]!.vol).toBeGreaterThanOrEqual(0);
          expect(Number.isFinite(a[0]!.vol)).toBe(true);
          expect(b[0]!.vol).toBeCloseTo(a[0]!.vol, 6);
        },
      ),
    );
  });
});
