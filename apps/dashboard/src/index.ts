export { createDashboard, type Dashboard, type DashboardOptions, type RunningDashboard } from "./dashboard.js";
export { hashPassword, verifyPassword, parsePasswordHash, createAuthenticator, type Role, type AuthSettings, type ScryptParams } from "./auth.js";
export { csrfRejection } from "./csrf.js";
export { QUEUE_NAMES, isDestructive, type QueueName, type EnqueueFn, type EnqueueResult, type ValidatePayloadFn } from "./bull-board.js";
export { readStatus, type StatusReport, type StatusOptions } from "./status-data.js";
export { renderStatusPage } from "./status-page.js";
export { lineChart, barChart, type LineSeries, type Bar } from "./svg-charts.js";
export { escapeHtml, html, raw } from "./html.js";
