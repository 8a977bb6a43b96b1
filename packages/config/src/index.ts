export { loadConfig, ENV_VARS, WASM_TRAINER_MAX_ROWS, WASM_TRAINER_MEASURED_FEATURES, type Config } from "./config.js";
export { ConfigValidationError } from "./config.js";
