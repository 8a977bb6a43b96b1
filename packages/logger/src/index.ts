export { createLogger } from "./create-logger.js";
export type { AppLogger, CreateLoggerOptions, LogLevel } from "./create-logger.js";
export { jobLogger, formatJobLogLine } from "./job-logger.js";
export type { JobLoggerOptions, LoggableJob } from "./job-logger.js";
