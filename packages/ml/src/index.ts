export * from "./features/index.js";
export * from "./train/index.js";
export { ML_CODE_PACKAGE } from "./code-package.js";
export * from "./retrain/index.js";
export * from "./drift/index.js";
export * from "./importance/index.js";
export * from "./baselines/index.js";
export * from "./shadow/index.js";
export * from "./scoring/index.js";
