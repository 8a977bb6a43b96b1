export { localTaskIo } from "./task-io.js";
export type { TaskIo } from "./task-io.js";
export { runRetrainTask } from "./retrain-task.js";
export type { RetrainTaskPayload, RetrainTaskOptions } from "./retrain-task.js";
export { runAbEvalTask, abEvalDeps, abPolicyFromConfig, runShadowStep, runShadowTask, shadowOptionsFromConfig } from "./ab-eval-task.js";
export type { AbEvalTaskPayload } from "./ab-eval-task.js";
export { runCalibrateTask } from "./calibrate-task.js";
export type { CalibrateTaskPayload } from "./calibrate-task.js";
export { runMonitorTask, monitorPolicyFromConfig } from "./monitor-task.js";
export type { MonitorTaskPayload, MonitorTaskOptions, MonitorTaskSummary } from "./monitor-task.js";
export { runDriftStep, loadDriftRows, DRIFT_WARMUP_MS } from "./drift-step.js";
export type { DriftStepDeps, DriftStepPolicy, DriftStepSummary, EnqueueDriftRetrain, VersionDriftSummary } from "./drift-step.js";
export { runNotifyTask, type NotifyTaskSummary } from "./notify-task.js";
export {
  deliverWebhook,
  signWebhook,
  verifyWebhook,
  webhookBody,
  webhookKey,
  WebhookDeliveryError,
  type Delivery,
  type DeliverOptions,
  type WebhookEvent,
} from "./webhook.js";
export {
  driftRetrainNotice,
  lastRoleEventId,
  roleEventNotices,
  roleEventsAfter,
  withRoleNotices,
  type Notice,
  type NoticeType,
  type RaiseNotices,
} from "./notify-events.js";
