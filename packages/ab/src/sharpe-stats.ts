// Moved to @mlq/core (the retrain's search deflates its winner with the same statistics); re-exported here
// so the A/B's modules keep their imports.
export {
  centralMoments,
  kurtosis,
  minTrackRecordLength,
  probBBetter,
  psr,
  sharpeVariance,
  sharpeVarianceFactor,
  skewness,
  type SharpeEstimate,
} from "@mlq/core";
