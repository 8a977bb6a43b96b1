// Public surface of search/: the space, the inner split, the CandidateTrainer port and the scoring.
export { searchCandidates, boosterParams, type CandidateParams, type SearchSpace, type FixedParams } from "./search-space.js";
export { innerSplit, type InnerSplit, type InnerSplitOptions } from "./inner-split.js";
export {
  candidateKey,
  candidateTask,
  checkCandidateData,
  inProcessCandidateTrainer,
  threadCandidateTrainer,
  type CandidateData,
  type CandidateOutcome,
  type CandidateSpec,
  type CandidateTrainer,
} from "./candidate-trainer.js";
export { candidateData, validationLabels } from "./candidate-data.js";
export {
  directionReturns,
  scoreCandidates,
  validationBars,
  type CandidatePredictions,
  type DirectionPolicyOptions,
  type DirectionScore,
  type ModelWinner,
  type SearchScores,
  type ValidationBars,
} from "./score-candidates.js";
export {
  CANDIDATE_FORMAT_VERSION,
  decodeCandidateData,
  decodePredictions,
  encodeCandidateData,
  encodePredictions,
} from "./candidate-codec.js";
