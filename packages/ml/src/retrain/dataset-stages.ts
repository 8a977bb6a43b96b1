// Candles -> the pooled feature/label matrix, then the purged walk-forward split and the row cap.
import { MINUTE_MS } from "@mlq/core";
import { listCandleSymbols, loadCandles } from "@mlq/market-data";
import { buildDataset } from "../dataset/build-dataset.js";
import { checkRowCap, selectNewest } from "../dataset/row-cap.js";
import { walkForwardSplit } from "../dataset/walk-forward-split.js";
import { recordRunFacts } from "./retrain-runs-store.js";
import { needState, type RetrainStage } from "./stage.js";

export const featuresStage: RetrainStage = {
  name: "features",
  progress: [25, 28],
  run(ctx) {
    const { conn, config } = ctx;
    // A retrain as of nowMs learns only from bars closed by then (a replayed or back-dated run sees
    // no later candle), so its trained_through_ms never lies after its own time.
    const toMs = ctx.nowMs - MINUTE_MS + 1;
    const series = listCandleSymbols(conn.sqlite).map((symbol) => loadCandles(conn.sqlite, { symbol, toMs }));
    ctx.state.candleSeries = series;
    ctx.state.dataset = buildDataset(series, {
      horizonBars: config.retrain.horizonBars,
      costFraction: needState(ctx, "costFraction", "features"),
      maxGapMinutes: config.retrain.maxGapMinutes,
    });
    return undefined;
  },
};

/** Too little data for a train and a test set ends the run as 'insufficient-data' (a result, not an error). */
export const splitStage: RetrainStage = {
  name: "split",
  progress: [28, 30],
  run(ctx) {
    const { retrain } = ctx.config;
    const dataset = needState(ctx, "dataset", "split");
    const split = walkForwardSplit(dataset, {
      trainFraction: retrain.trainFraction,
      embargoMinHours: retrain.embargoMinHours,
      horizonBars: retrain.horizonBars,
      minTrainRows: retrain.minTrainingRows,
      minTestRows: retrain.minTestRows,
    });
    if (!split.ok) {
      recordRunFacts(ctx.conn, ctx.runId, { trainingRows: dataset.rows });
      return { outcome: "insufficient-data", success: false, message: split.reason };
    }
    const train = selectNewest(split.train, retrain.maxTrainingRows);
    checkRowCap(train.length, dataset.featureNames.length, retrain.maxTrainingRows);
    ctx.state.split = split;
    ctx.state.train = train;
    recordRunFacts(ctx.conn, ctx.runId, { trainingRows: train.length, embargoHours: split.embargoHours });
    return undefined;
  },
};
