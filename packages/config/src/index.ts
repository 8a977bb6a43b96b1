export { loadConfig, ENV_VARS, type Config } from "./config.js";
export { ConfigValidationError } from "./config.js";
