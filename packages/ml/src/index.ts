export * from "./features/index.js";
export * from "./train/index.js";
export { currentSlippageMult } from "./retrain-runs.js";
export { ML_CODE_PACKAGE } from "./code-package.js";
export { runRetrain, type RetrainDeps, type RetrainOutcome, type RetrainSummary, type RetrainTrigger } from "./run-retrain.js";
