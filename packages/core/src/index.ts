export * from "./errors.js";
export * from "./logger.js";
export * from "./atomic-file.js";
export * from "./stats.js";
export * from "./time.js";
export * from "./random.js";
export * from "./secrets.js";
