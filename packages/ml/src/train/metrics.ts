// Test-set metrics for the five models. Undefined values (one class only, no variance,
// no non-zero targets) are NaN, which JSON turns into null.

type Values = ArrayLike<number>;

function checkLengths(y: Values, p: Values, what: string): void {
  if (y.length !== p.length) throw new RangeError(`${what}: ${y.length} targets but ${p.length} predictions`);
}

/** ROC AUC as the Mann–Whitney U statistic: tied scores count one half. */
export function auc(labels: Values, scores: Values): number {
  checkLengths(labels, scores, "auc");
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] ?? 0) - (scores[b] ?? 0));
  let positives = 0;
  let positiveRankSum = 0;
  // Average ranks (1-based) over each run of tied scores.
  for (let start = 0; start < n;) {
    let end = start + 1;
    const score = scores[order[start] ?? 0];
    while (end < n && scores[order[end] ?? 0] === score) end++;
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if ((labels[order[k] ?? 0] ?? 0) > 0.5) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Share of rows where `p > threshold` matches the 0/1 label. */
export function accuracy(labels: Values, probabilities: Values, threshold = 0.5): number {
  checkLengths(labels, probabilities, "accuracy");
  if (labels.length === 0) return Number.NaN;
  let hits = 0;
  for (let i = 0; i < labels.length; i++) {
    if ((probabilities[i] ?? 0) > threshold === (labels[i] ?? 0) > 0.5) hits++;
  }
  return hits / labels.length;
}

/** Mean binary cross-entropy; probabilities clipped to [eps, 1 − eps] like scikit-learn. */
export function logLoss(labels: Values, probabilities: Values, eps = 1e-15): number {
  checkLengths(labels, probabilities, "logLoss");
  if (labels.length === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(probabilities[i] ?? 0, eps), 1 - eps);
    sum += (labels[i] ?? 0) > 0.5 ? -Math.log(p) : -Math.log(1 - p);
  }
  return sum / labels.length;
}

export function rmse(y: Values, p: Values): number {
  checkLengths(y, p, "rmse");
  if (y.length === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += ((y[i] ?? 0) - (p[i] ?? 0)) ** 2;
  return Math.sqrt(sum / y.length);
}

export function mae(y: Values, p: Values): number {
  checkLengths(y, p, "mae");
  if (y.length === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += Math.abs((y[i] ?? 0) - (p[i] ?? 0));
  return sum / y.length;
}

/** Coefficient of determination 1 − SS_res / SS_tot; NaN when the target has no variance. */
export function r2(y: Values, p: Values): number {
  checkLengths(y, p, "r2");
  if (y.length === 0) return Number.NaN;
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i] ?? 0;
  mean /= y.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < y.length; i++) {
    ssRes += ((y[i] ?? 0) - (p[i] ?? 0)) ** 2;
    ssTot += ((y[i] ?? 0) - mean) ** 2;
  }
  return ssTot === 0 ? Number.NaN : 1 - ssRes / ssTot;
}

/** Directional hit rate: share of rows with y ≠ 0 where sign(prediction) == sign(y). */
export function hitRate(y: Values, p: Values): number {
  checkLengths(y, p, "hitRate");
  let counted = 0;
  let hits = 0;
  for (let i = 0; i < y.length; i++) {
    const target = y[i] ?? 0;
    if (target === 0) continue;
    counted++;
    if (Math.sign(p[i] ?? 0) === Math.sign(target)) hits++;
  }
  return counted === 0 ? Number.NaN : hits / counted;
}

export interface DirectionMetrics {
  auc: number;
  accuracy: number;
  logLoss: number;
  rows: number;
  positiveRate: number;
}

export interface RegressionMetrics {
  rmse: number;
  mae: number;
  r2: number;
  rows: number;
}

/** For targets that take both signs (price, momentum): a directional hit rate means something there. */
export interface SignedRegressionMetrics extends RegressionMetrics {
  hitRate: number;
}

export function directionMetrics(labels: Values, probabilities: Values): DirectionMetrics {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if ((labels[i] ?? 0) > 0.5) positives++;
  return {
    auc: auc(labels, probabilities),
    accuracy: accuracy(labels, probabilities),
    logLoss: logLoss(labels, probabilities),
    rows: labels.length,
    positiveRate: labels.length === 0 ? Number.NaN : positives / labels.length,
  };
}

/** RMSE, MAE, R². No hit rate: for a target that is never negative (risk, volatility) it is trivially ~1. */
export function regressionMetrics(y: Values, p: Values): RegressionMetrics {
  return { rmse: rmse(y, p), mae: mae(y, p), r2: r2(y, p), rows: y.length };
}

/** `regressionMetrics` plus the directional hit rate, for targets that take both signs. */
export function signedRegressionMetrics(y: Values, p: Values): SignedRegressionMetrics {
  return { rmse: rmse(y, p), mae: mae(y, p), r2: r2(y, p), hitRate: hitRate(y, p), rows: y.length };
}
