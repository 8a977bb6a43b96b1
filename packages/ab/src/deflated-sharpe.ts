// Moved to @mlq/core (the retrain's hyperparameter search deflates its winner with it); re-exported here
// so @mlq/ab's public surface is unchanged.
export {
  averagePairwiseCorrelation,
  deflatedSharpeOfTrials,
  deflatedSharpeRatio,
  effectiveTrials,
  EULER_MASCHERONI,
  expectedMaxSharpe,
  type DeflatedSharpe,
  type DeflatedSharpeInput,
  type TrialsDeflation,
} from "@mlq/core";
