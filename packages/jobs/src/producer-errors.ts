// Errors the producer throws to its callers (the CLI maps JobNotFoundError to exit code 2).
import { MlqError } from "@mlq/core";
import type { MlqErrorOptions } from "@mlq/core";

/** No job with that id in any of the queues. */
export class JobNotFoundError extends MlqError {
  constructor(message: string, options?: MlqErrorOptions) {
    super("JOB_NOT_FOUND", message, false, options);
  }
}

/** The job exists but is in a state that does not allow the operation (e.g. retrying an active job). */
export class JobStateError extends MlqError {
  constructor(message: string, options?: MlqErrorOptions) {
    super("JOB_STATE", message, false, options);
  }
}

/** The awaited job failed; the message is its failure reason. */
export class JobFailedError extends MlqError {
  constructor(message: string, options?: MlqErrorOptions) {
    super("JOB_FAILED", message, false, options);
  }
}

/** waitForJob gave up before the job finished (the job itself keeps running). */
export class WaitTimeoutError extends MlqError {
  constructor(message: string, options?: MlqErrorOptions) {
    super("WAIT_TIMEOUT", message, true, options);
  }
}
