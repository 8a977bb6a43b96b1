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
export { JobNotFoundError, JobStateError, JobFailedError, WaitTimeoutError } from "./errors.js";
