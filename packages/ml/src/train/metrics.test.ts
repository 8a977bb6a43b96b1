import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { accuracy, auc, directionMetrics, hitRate, logLoss, mae, r2, regressionMetrics, rmse, signedRegressionMetrics } from "./metrics.js";

/** Pairwise definition of AUC: P(score_pos > score_neg) + ½ P(tie). */
function bruteForceAuc(labels: number[], scores: number[]): number {
  let wins = 0;
  let pairs = 0;
  labels.forEach((li, i) => {
    labels.forEach((lj, j) => {
      if (li === 1 && lj === 0) {
        pairs++;
        const si = scores[i] ?? 0;
        const sj = scores[j] ?? 0;
        wins += si > sj ? 1 : si === sj ? 0.5 : 0;
      }
    });
  });
  return pairs === 0 ? Number.NaN : wins / pairs;
}

const labelsAndScores = fc
  .array(fc.tuple(fc.constantFrom(0, 1), fc.integer({ min: -5, max: 5 })), { minLength: 1, maxLength: 40 })
  .map((pairs) => ({ labels: pairs.map((p) => p[0]), scores: pairs.map((p) => p[1]) }));

describe("auc", () => {
  it.each([
    ["perfect ranking", [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], 1],
    ["reversed ranking", [1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9], 0],
    ["all tied", [0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5], 0.5],
    // pos {0.4, 0.8}, neg {0.4, 0.2}: pairs (0.4,0.4)=½ (0.4,0.2)=1 (0.8,0.4)=1 (0.8,0.2)=1 → 3.5/4
    ["one tie across classes", [1, 1, 0, 0], [0.4, 0.8, 0.4, 0.2], 0.875],
    // pos {0.35, 0.8}, neg {0.1, 0.4}: 0.35 beats 0.1 only → 3/4
    ["sklearn example", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.75],
  ])("%s", (_name, labels, scores, expected) => {
    expect(auc(labels, scores)).toBeCloseTo(expected, 12);
  });

  it("is NaN when only one class is present", () => {
    expect(auc([1, 1, 1], [0.1, 0.2, 0.3])).toBeNaN();
  });

  it("equals the pairwise Mann–Whitney count, ties counting one half", () => {
    fc.assert(
      fc.property(labelsAndScores, ({ labels, scores }) => {
        const expected = bruteForceAuc(labels, scores);
        if (Number.isNaN(expected)) expect(auc(labels, scores)).toBeNaN();
        else expect(auc(labels, scores)).toBeCloseTo(expected, 12);
      }),
    );
  });

  it("is unchanged by a strictly increasing transform of the scores and flips under negation", () => {
    fc.assert(
      fc.property(labelsAndScores, ({ labels, scores }) => {
        const value = auc(labels, scores);
        fc.pre(!Number.isNaN(value));
        expect(
          auc(
            labels,
            scores.map((s) => Math.exp(s) * 3 + 1),
          ),
        ).toBeCloseTo(value, 12);
        expect(
          auc(
            labels,
            scores.map((s) => -s),
          ),
        ).toBeCloseTo(1 - value, 12);
      }),
    );
  });
});

describe("accuracy and logLoss", () => {
  it.each([
    [[1, 0, 1, 0], [0.9, 0.1, 0.4, 0.6], 0.5],
    [[1, 0], [0.5, 0.5], 0.5], // 0.5 is not above the threshold: predicts 0
    [[1, 1, 0], [0.7, 0.51, 0.2], 1],
  ])("accuracy(%j, %j) = %d", (labels, p, expected) => {
    expect(accuracy(labels, p)).toBeCloseTo(expected, 12);
  });

  it.each([
    // −(ln 0.8 + ln 0.9) / 2
    [[1, 0], [0.8, 0.1], -(Math.log(0.8) + Math.log(0.9)) / 2],
    [[1, 1, 0, 0], [0.5, 0.5, 0.5, 0.5], Math.LN2],
    // a certain wrong answer is clipped at 1e-15, not infinite
    [[1], [0], -Math.log(1e-15)],
  ])("logLoss(%j, %j)", (labels, p, expected) => {
    expect(logLoss(labels, p)).toBeCloseTo(expected, 10);
  });
});

describe("regression metrics", () => {
  // y = [1, 2, 3, 4], p = [1, 3, 2, 4]: errors [0, −1, 1, 0]
  const y = [1, 2, 3, 4];
  const p = [1, 3, 2, 4];
  it.each([
    ["rmse", rmse(y, p), Math.sqrt(0.5)],
    ["mae", mae(y, p), 0.5],
    ["r2", r2(y, p), 1 - 2 / 5], // SS_res 2, SS_tot 5
  ])("%s of a hand-computed example", (_name, value, expected) => {
    expect(value).toBeCloseTo(expected, 12);
  });

  it("r2 is 1 for a perfect fit, 0 for the mean, NaN without variance", () => {
    expect(r2([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(r2([1, 2, 3], [2, 2, 2])).toBe(0);
    expect(r2([2, 2], [1, 3])).toBeNaN();
  });

  it.each([
    ["signs agree twice, zero target skipped", [0.5, -0.2, 0, 0.3], [0.1, -0.4, 9, -0.1], 2 / 3],
    ["a zero prediction is a miss", [0.5, -0.5], [0, -1], 0.5],
    ["no non-zero target", [0, 0], [1, -1], Number.NaN],
  ])("hitRate: %s", (_name, yy, pp, expected) => {
    if (Number.isNaN(expected)) expect(hitRate(yy, pp)).toBeNaN();
    else expect(hitRate(yy, pp)).toBeCloseTo(expected, 12);
  });

  it("rejects mismatched lengths", () => {
    expect(() => rmse([1, 2], [1])).toThrow("rmse: 2 targets but 1 predictions");
  });

  it("bundles the per-model metric sets", () => {
    expect(regressionMetrics(y, p)).toEqual({ rmse: Math.sqrt(0.5), mae: 0.5, r2: 0.6, rows: 4 });
    expect(signedRegressionMetrics(y, p)).toEqual({ rmse: Math.sqrt(0.5), mae: 0.5, r2: 0.6, hitRate: 1, rows: 4 });
    expect(directionMetrics([1, 0, 1, 0], [0.9, 0.1, 0.4, 0.6])).toMatchObject({ auc: 0.75, accuracy: 0.5, rows: 4, positiveRate: 0.5 });
  });
});
