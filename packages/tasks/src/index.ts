export { localTaskIo } from "./task-io.js";
export type { TaskIo } from "./task-io.js";
export { runRetrainTask } from "./retrain-task.js";
export type { RetrainTaskPayload, RetrainTaskOptions } from "./retrain-task.js";
export { runAbEvalTask, abEvalDeps, abPolicyFromConfig } from "./ab-eval-task.js";
export type { AbEvalTaskPayload } from "./ab-eval-task.js";
export { runCalibrateTask } from "./calibrate-task.js";
export type { CalibrateTaskPayload } from "./calibrate-task.js";
