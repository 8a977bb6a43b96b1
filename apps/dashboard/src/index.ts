export { createDashboard, type Dashboard, type DashboardOptions, type RunningDashboard } from "./dashboard.js";
export {
  hashPassword,
  verifyPassword,
  parsePasswordHash,
  createAuthenticator,
  createLoginLimiter,
  createPasswordCheckGate,
  DEFAULT_SCRYPT,
  type Role,
  type AuthSettings,
  type ScryptParams,
} from "./auth.js";
export { hostRejection, isLoopbackAddress } from "./host-check.js";
export { redactPaths } from "./redact-paths.js";
export { csrfRejection } from "./csrf.js";
export { QUEUE_NAMES, isDestructive, type QueueName, type EnqueueFn, type EnqueueResult, type ValidatePayloadFn } from "./bull-board.js";
export { readStatus, type StatusReport, type StatusOptions } from "./status-data.js";
export { renderStatusPage } from "./status-page.js";
export { lineChart, barChart, type LineSeries, type Bar } from "./svg-charts.js";
export { escapeHtml, html, raw } from "./html.js";
