import { describe, expect, it } from "vitest";
import { createRng, deflatedSharpeOfTrials, MINUTE_MS } from "@mlq/core";
import type { CandleSeries } from "@mlq/market-data";
import { longOnlyHoldPolicy } from "../shadow/index.js";
import { auc, rmse } from "../train/metrics.js";
import { MODEL_NAMES, type ModelName } from "../train/model-set.js";
import { directionReturns, scoreCandidates, validationBars } from "./score-candidates.js";

/** One symbol, `n` one-minute bars (a 2-hour hole after bar 100), a seeded random walk. */
function fixture(n: number) {
  const rng = createRng(3, "score-candidates");
  const ts = new Float64Array(n);
  const close = new Float64Array(n);
  let price = 100;
  for (let i = 0; i < n; i++) {
    ts[i] = i * MINUTE_MS + (i > 100 ? 120 * MINUTE_MS : 0);
    price *= Math.exp(0.002 * rng.normal());
    close[i] = price;
  }
  const series = { symbol: "BTC", ts, close } as unknown as CandleSeries;
  const dataset = { ts, symbolIndex: new Int32Array(n), symbols: ["BTC"] };
  return { series, dataset, validation: Int32Array.from({ length: n }, (_, i) => i), close };
}

const OPTIONS = { horizonBars: 5, costPerSide: 0.0005, entryQuantile: 0.8 };

describe("validationBars", () => {
  it("gives the policy each symbol's rows with their candle closes, split where the gap is longer than an hour", () => {
    const { series, dataset, validation, close } = fixture(300);
    const bars = validationBars(dataset, [series], validation);
    expect(bars.groups.map((g) => g.bars.length)).toEqual([101, 199]);
    expect(bars.groups[1]!.bars[0]).toEqual({ tsMs: dataset.ts[101], close: close[101] });
    expect(Array.from(bars.groups[1]!.positions.slice(0, 2))).toEqual([101, 102]);
  });
});

describe("scoreCandidates", () => {
  it("direction: the policy's per-bar returns, their Sharpe and the AUC; the highest Sharpe wins and is deflated over every candidate", () => {
    const { series, dataset, validation, close } = fixture(400);
    const bars = validationBars(dataset, [series], validation);
    const rng = createRng(9, "preds");
    // Labels: did the close rise over the next 5 bars; candidate 1 sees them (skill), 0 and 2 are noise.
    const up = Float64Array.from(close, (c, i) => (i + 5 < close.length && close[i + 5]! > c ? 1 : 0));
    const preds = [0, 1, 2].map((c) => Float64Array.from(up, (y) => (c === 1 ? 0.3 + 0.4 * y + 0.1 * rng.next() : rng.next())));
    const labels = Object.fromEntries(
      MODEL_NAMES.map((m) => [m, m === "direction" ? up : Float64Array.from(up, (y) => y * 0.01)]),
    ) as Record<ModelName, Float64Array>;
    const outcomes = MODEL_NAMES.flatMap((model) =>
      preds.map((p, candidate) => ({
        model,
        candidate,
        predictions: model === "direction" ? p : Float64Array.from(labels[model], (y, i) => y + 0.001 * candidate * (i % 3)),
      })),
    );
    const r = scoreCandidates(outcomes, 3, { labels, bars }, OPTIONS);
    const returns = preds.map((p) => directionReturns(p, bars, OPTIONS).returns);
    // The returns are the shadow policy's own, on the gap-split bars with each candidate's 0.8-quantile threshold.
    const direct = longOnlyHoldPolicy(
      bars.groups.map((g) => ({ symbol: g.symbol, bars: g.bars, probabilities: Float64Array.from(g.positions, (i) => preds[1]![i]!) })),
      { entryThreshold: (r.scores.direction[1] as { entryThreshold: number }).entryThreshold, horizonBars: 5, costPerSide: 0.0005 },
    );
    expect(Array.from(returns[1]!)).toEqual(Array.from(direct.returns));
    const mean = returns[1]!.reduce((s, x) => s + x, 0) / returns[1]!.length;
    const sd = Math.sqrt(returns[1]!.reduce((s, x) => s + (x - mean) ** 2, 0) / (returns[1]!.length - 1));
    expect((r.scores.direction[1] as { sharpe: number }).sharpe).toBeCloseTo(mean / sd, 12);
    expect((r.scores.direction[1] as { auc: number }).auc).toBeCloseTo(auc(up, preds[1]!), 12);
    expect(r.winners.direction.candidate).toBe(1);
    expect(r.deflation).toEqual(deflatedSharpeOfTrials(returns));
    // Regressions: the lowest RMSE (candidate 0 predicts its labels exactly).
    for (const m of ["risk", "price", "momentum", "volatility"] as const) {
      expect(r.winners[m]).toEqual({ candidate: 0, score: 0 });
      expect((r.scores[m][2] as { rmse: number }).rmse).toBeCloseTo(
        rmse(labels[m], outcomes.find((o) => o.model === m && o.candidate === 2)!.predictions),
        12,
      );
    }
  });

  it("names a missing result", () => {
    const { series, dataset, validation } = fixture(50);
    const bars = validationBars(dataset, [series], validation);
    const labels = Object.fromEntries(MODEL_NAMES.map((m) => [m, new Float64Array(50)])) as Record<ModelName, Float64Array>;
    expect(() => scoreCandidates([], 1, { labels, bars }, OPTIONS)).toThrow("search: no result for direction candidate 0");
  });
});
