// Scores the search's candidates on the inner validation bars the way the models will be judged later:
// the direction model by the per-bar returns of the shadow evaluation's long-only policy (Sharpe, and
// AUC), the regressions by RMSE; picks a winner per model and deflates the direction winner's Sharpe
// for every candidate tried (Bailey & López de Prado 2014).
import { deflatedSharpeOfTrials, finiteOrNull, InputDataError, type TrialsDeflation } from "@mlq/core";
import type { CandleSeries } from "@mlq/market-data";
import { entryThreshold } from "../baselines/entry-threshold.js";
import type { Dataset } from "../dataset/build-dataset.js";
import { DEFAULT_SHADOW_MAX_GAP_MS, longOnlyHoldPolicy, type ShadowBar, type ShadowPolicy } from "../shadow/index.js";
import { auc, rmse } from "../train/metrics.js";
import { MODEL_NAMES, type ModelName } from "../train/model-set.js";

/** The validation rows as the policy's bars: per symbol, split where consecutive rows are further apart than the policy allows. */
export interface ValidationBars {
  groups: { symbol: string; bars: ShadowBar[]; /** Positions in the validation order. */ positions: Int32Array }[];
  rows: number;
}

export function validationBars(
  dataset: Pick<Dataset, "ts" | "symbolIndex" | "symbols">,
  series: readonly CandleSeries[],
  validation: Int32Array,
  maxGapMs: number = DEFAULT_SHADOW_MAX_GAP_MS,
): ValidationBars {
  const bySymbol = new Map(series.map((s) => [s.symbol, s]));
  const perSymbol = new Map<number, number[]>();
  validation.forEach((row, pos) => {
    const k = dataset.symbolIndex[row]!;
    let list = perSymbol.get(k);
    if (!list) perSymbol.set(k, (list = []));
    list.push(pos);
  });
  const groups: ValidationBars["groups"] = [];
  for (const [k, positions] of [...perSymbol.entries()].sort((a, b) => a[0] - b[0])) {
    const symbol = dataset.symbols[k]!;
    const s = bySymbol.get(symbol);
    if (!s) throw new InputDataError(`search: no candles of ${symbol} for its validation rows`);
    let bars: ShadowBar[] = [];
    let group: number[] = [];
    const flush = (): void => {
      if (bars.length > 0) groups.push({ symbol, bars, positions: Int32Array.from(group) });
      bars = [];
      group = [];
    };
    for (const pos of positions) {
      const tsMs = dataset.ts[validation[pos]!]!;
      const last = bars[bars.length - 1];
      if (last && tsMs - last.tsMs > maxGapMs) flush();
      bars.push({ tsMs, close: closeAt(s, tsMs) });
      group.push(pos);
    }
    flush();
  }
  return { groups, rows: validation.length };
}

function closeAt(s: CandleSeries, tsMs: number): number {
  let lo = 0;
  let hi = s.ts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = s.ts[mid]!;
    if (t === tsMs) return s.close[mid]!;
    if (t < tsMs) lo = mid + 1;
    else hi = mid - 1;
  }
  throw new InputDataError(`search: no ${s.symbol} candle at ${new Date(tsMs).toISOString()} for a validation row`);
}

export interface DirectionPolicyOptions {
  horizonBars: number;
  /** Half the round-trip cost fraction, charged at entry and at exit. */
  costPerSide: number;
  /** The manifest's entry rule: enter on this quantile of the model's own probabilities. */
  entryQuantile: number;
  policy?: ShadowPolicy;
}

export interface DirectionScore {
  /** Per-bar Sharpe (mean / std, ddof = 1) of the policy's returns over every validation bar. */
  sharpe: number | null;
  auc: number | null;
  trades: number;
  bars: number;
  entryThreshold: number;
}

/** The policy's per-bar returns for one candidate's validation probabilities (in validation order). */
export function directionReturns(
  probabilities: Float64Array,
  bars: ValidationBars,
  options: DirectionPolicyOptions,
): { returns: Float64Array; trades: number; entryThreshold: number } {
  if (probabilities.length !== bars.rows)
    throw new InputDataError(`search: ${probabilities.length} direction predictions for ${bars.rows} validation rows`);
  const threshold = entryThreshold(probabilities, options.entryQuantile).threshold;
  const policy = options.policy ?? longOnlyHoldPolicy;
  const series = policy(
    bars.groups.map((g) => ({ symbol: g.symbol, bars: g.bars, probabilities: Float64Array.from(g.positions, (p) => probabilities[p]!) })),
    { entryThreshold: threshold, horizonBars: options.horizonBars, costPerSide: options.costPerSide },
  );
  return { returns: series.returns, trades: series.trades.length, entryThreshold: threshold };
}

export interface CandidatePredictions {
  model: ModelName;
  candidate: number;
  predictions: Float64Array;
}

export interface ModelWinner {
  candidate: number;
  /** direction: validation Sharpe; regressions: RMSE. */
  score: number | null;
}

export interface SearchScores {
  /** Scores per model, indexed by candidate. */
  scores: Record<ModelName, (DirectionScore | { rmse: number | null })[]>;
  winners: Record<ModelName, ModelWinner>;
  deflation: TrialsDeflation;
}

/**
 * Scores every candidate and picks the winners: direction = the highest validation Sharpe (the
 * highest AUC when no candidate has a Sharpe), each regression = the lowest RMSE; ties go to the
 * earlier candidate. The DSR counts every direction candidate tried, with N replaced by the effective
 * N of their returns' average pairwise correlation.
 */
export function scoreCandidates(
  outcomes: readonly CandidatePredictions[],
  candidates: number,
  validation: { labels: Record<ModelName, Float64Array>; bars: ValidationBars },
  options: DirectionPolicyOptions,
): SearchScores {
  const byModel = Object.fromEntries(MODEL_NAMES.map((m) => [m, new Array<Float64Array | undefined>(candidates)])) as Record<
    ModelName,
    (Float64Array | undefined)[]
  >;
  for (const o of outcomes) byModel[o.model][o.candidate] = o.predictions;
  const need = (model: ModelName, c: number): Float64Array => {
    const p = byModel[model][c];
    if (!p) throw new InputDataError(`search: no result for ${model} candidate ${c}`);
    return p;
  };
  const directionY = validation.labels.direction;
  const returns: Float64Array[] = [];
  const directionScores: DirectionScore[] = [];
  for (let c = 0; c < candidates; c++) {
    const p = need("direction", c);
    const r = directionReturns(p, validation.bars, options);
    returns.push(r.returns);
    directionScores.push({
      sharpe: null,
      auc: finiteOrNull(auc(directionY, p)),
      trades: r.trades,
      bars: r.returns.length,
      entryThreshold: r.entryThreshold,
    });
  }
  const deflation = deflatedSharpeOfTrials(returns);
  directionScores.forEach((s, c) => (s.sharpe = deflation.sharpes[c] ?? null));
  let directionWinner = deflation.selected;
  if (directionWinner === null) {
    directionWinner = 0;
    directionScores.forEach((s, c) => {
      if (s.auc !== null && s.auc > (directionScores[directionWinner!]!.auc ?? -Infinity)) directionWinner = c;
    });
  }
  const scores = { direction: directionScores } as SearchScores["scores"];
  const winners = { direction: { candidate: directionWinner, score: directionScores[directionWinner]!.sharpe } } as SearchScores["winners"];
  for (const model of MODEL_NAMES) {
    if (model === "direction") continue;
    const list = Array.from({ length: candidates }, (_, c) => ({ rmse: finiteOrNull(rmse(validation.labels[model], need(model, c))) }));
    let best = 0;
    list.forEach((s, c) => {
      if (s.rmse !== null && (list[best]!.rmse === null || s.rmse < list[best]!.rmse!)) best = c;
    });
    scores[model] = list;
    winners[model] = { candidate: best, score: list[best]!.rmse };
  }
  return { scores, winners, deflation };
}
