export * from "./ticks.js";
export * from "./paper-trades.js";
export * from "./retrain-runs.js";
export * from "./gate-log.js";
export * from "./ab-test-runs.js";
export * from "./ab-active-model.js";
export * from "./calibration-runs.js";
export * from "./candles.js";
