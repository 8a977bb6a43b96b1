export {
  QUEUE_NAMES,
  QUEUE_DEFINITIONS,
  SCHEDULER_ID_PREFIX,
  MAX_PAYLOAD_BYTES,
  RetrainPayloadSchema,
  AbEvalPayloadSchema,
  CalibratePayloadSchema,
  MonitorPayloadSchema,
  NotifyPayloadSchema,
  TrainPayloadSchema,
  TRAIN_MODEL_NAMES,
  NOTIFY_EVENT_TYPES,
  NOTIFY_EVENT_ID,
  SCHEDULED_QUEUES,
  PayloadError,
  parsePayload,
  jobCatalog,
  retentionOptions,
  isQueueName,
} from "./catalog.js";
export type {
  QueueName,
  RetrainPayload,
  AbEvalPayload,
  CalibratePayload,
  MonitorPayload,
  NotifyPayload,
  TrainPayload,
  NotifyEventType,
  PayloadFor,
  PayloadInput,
  QueueDefinition,
  ResolvedQueue,
  RetryPolicy,
  RetentionPolicy,
} from "./catalog.js";
export {
  createRedisConnection,
  checkRedis,
  checkNoEviction,
  maskRedisUrl,
  redisOptionsFor,
  reconnectDelayMs,
  deleteKeysWithPrefix,
  RedisUnavailableError,
} from "./redis.js";
export type { RedisRole, RedisConnectionOptions } from "./redis.js";
export { requestCancel, recentCancellations, cancelChannel, cancelAuditKey, CANCEL_REASON } from "./cancel.js";
export type { CancelOutcome, CancelRecord } from "./cancel.js";
export { claimExclusive, releaseStaleExclusive, exclusiveHolder, deduplicationKey } from "./exclusive.js";
export { runWorker, formatDuration, classifyFailure, throttledProgress, isWaitingChildren, FLOW_DATA_KEY } from "./run-worker.js";
export {
  addChildren,
  childJobKey,
  childrenCounts,
  clearFlowCancel,
  flowCancelKey,
  flowCancelReason,
  markFlowCancelled,
  parentStoppedReason,
  parseJobKey,
  readChildren,
  stopChildren,
  type ChildrenState,
} from "./flow.js";
export { liveWorkers, startWorkerHeartbeat, workersKey, WORKER_HEARTBEAT_MS, WORKER_STALE_MS, type LiveWorker } from "./worker-registry.js";
export { startFlowWatchdog, wakeOverdueParents, type FlowWatchdogOptions } from "./flow-watchdog.js";
export { childrenByState, type ChildrenByState } from "./flow-progress.js";
export type { RunWorkerOptions, WorkerHandle, JobIo, JobHandler, JobSummary, JobFailure } from "./run-worker.js";
export { createNotifier, jobFailedEvent, NULL_NOTIFIER, type Notifier, type NotifierOptions, type NotifyEventInput } from "./notifier.js";
export { startWorkerProcess, type WorkerProcessOptions } from "./worker-process.js";
export { createProducer, validateCron } from "./producer.js";
export type {
  Producer,
  ProducerOptions,
  EnqueueOptions,
  EnqueueResult,
  ScheduleInfo,
  JobInfo,
  JobStateName,
  ListJobsOptions,
  WaitOptions,
} from "./producer.js";
export { JobNotFoundError, JobStateError, JobFailedError, WaitTimeoutError } from "./producer-errors.js";
export { BLOB_CHUNK_BYTES, blobKey, blobCapBytes, blobTtlSec, deleteBlob, fetchBlob, formatBytes, publishBlob } from "./blob-store.js";
export type { BlobMeta, PublishBlobOptions, PublishedBlob } from "./blob-store.js";
