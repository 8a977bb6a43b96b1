export * from "./features/index.js";
export * from "./train/index.js";
export * from "./registry/index.js";
export { registryArmResolver, currentSlippageMult, type ArmModelRef } from "./registry-adapters.js";
export { runRetrain, type RetrainDeps, type RetrainOutcome, type RetrainSummary, type RetrainTrigger } from "./run-retrain.js";
