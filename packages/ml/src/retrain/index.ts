// Public surface of retrain/: the pipeline, its stages, and the stores of its audit tables.
export { runRetrain, RETRAIN_STAGES, parseRetrainCheckpoint, type RetrainDeps, type RetrainSummary, type RetrainCheckpoint, type RetrainMemo } from "./run-retrain.js";
export {
  needState,
  type CandleSummary,
  type RetrainEnd,
  type RetrainOutcome,
  type RetrainStage,
  type RetrainState,
  type RetrainTrigger,
  type StageContext,
} from "./stage.js";
export { checkInputStage, checkModelsDirStage } from "./check-stages.js";
export { candlesStage } from "./candles-stage.js";
export { costStage, gatesStage } from "./gate-stages.js";
export { featuresStage, splitStage } from "./dataset-stages.js";
export { trainStage, TRAIN_SEED } from "./train-stage.js";
export { searchStage, searchText, defaultCandidateTrainer, type SearchOutcome } from "./search-stage.js";
export { insertRetrainTrials, listRetrainTrials, type RetrainTrial, type RetrainTrialRecord } from "./trials-store.js";
export { saveStage, registerStage } from "./registry-stages.js";
export {
  openRetrainRun,
  markInterruptedAttempts,
  recordRunFacts,
  recordRunGates,
  closeRetrainRun,
  failRetrainRun,
  lastSuccessfulRetrainTsMs,
  currentSlippageMult,
  listRetrainRuns,
  INTERRUPTED_ATTEMPT_MSG,
  type OpenRunInput,
  type RunFacts,
  type RunClose,
  type RetrainRunRecord,
} from "./retrain-runs-store.js";
export {
  loadGateSnapshot,
  writeGateLog,
  gateLogByRun,
  gateHistory,
  gateSymbols,
  GATE_TRADE_COLUMNS,
  type GateLogEntry,
  type GatePoint,
  type GateSymbolEntry,
} from "./gate-store.js";
