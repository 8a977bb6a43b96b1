// What a task needs from whoever runs it (a queue worker or the CLI's --local), as a small
// interface: BullMQ's job object never reaches a task.
import type { Logger, ProgressFn } from "@mlq/core";

export interface TaskIo {
  readonly logger: Logger;
  /** `{ stage, pct, detail }` progress reports; must not throw. */
  readonly progress: ProgressFn;
  /** Fires on timeout, cancel or shutdown; tasks stop at the next stage boundary. */
  readonly signal?: AbortSignal | undefined;
  /** The job id recorded in the audit rows (null or absent for --local runs). */
  readonly jobId?: string | null | undefined;
  /**
   * True when a failure of this run will not be retried: a job's last attempt, or a run that never
   * retries (--local). A retryable failure before the last attempt is left to the retry; every
   * run that ends for good leaves its audit row.
   */
  readonly finalAttempt: boolean;
  /** A queue job's checkpoint store (absent for --local runs, which never suspend). */
  readonly checkpoint?: ((state: unknown) => Promise<void>) | undefined;
  /** The checkpoint an earlier pass of the same job saved. */
  readonly resumeState?: unknown;
}

/** The io of a run in the CLI's own process: no job id, and nothing retries it. */
export function localTaskIo(logger: Logger, progress: ProgressFn, signal?: AbortSignal): TaskIo {
  return { logger, progress, signal, jobId: null, finalAttempt: true };
}
