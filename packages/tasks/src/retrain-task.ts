// The retrain queue's task: the configured database and models directory, one gated retrain.
// Training runs in worker threads (packages/ml), so a worker's event loop stays free to renew
// its BullMQ job lock during long trainings.
import type { Config } from "@mlq/config";
import { withMigrated } from "@mlq/db";
import { runRetrain, type CandidateTrainer, type RetrainMemo, type RetrainSummary, type RetrainTrigger } from "@mlq/ml";
import type { TaskIo } from "./task-io.js";

export interface RetrainTaskPayload {
  readonly trigger: RetrainTrigger;
}

export interface RetrainTaskOptions {
  /** Recorded in each model version's manifest (e.g. the deployed git commit). */
  readonly codeVersion?: string | undefined;
  /** Trains the search's candidates (the retrain worker's BullMQ flow); default: worker threads in this process. */
  readonly candidateTrainer?: CandidateTrainer | undefined;
  /** The retrain worker's slot for a suspended run's dataset (see RetrainDeps.memo). */
  readonly memo?: { current?: RetrainMemo } | undefined;
}

/**
 * Runs one retrain on `config.dbPath` into `config.modelsDir`. Every attempt writes its own
 * `phase2_retrain_runs` row (a failure closes it as failed), so retries need no special case.
 */
export async function runRetrainTask(
  config: Config,
  payload: RetrainTaskPayload,
  io: TaskIo,
  options: RetrainTaskOptions = {},
): Promise<RetrainSummary> {
  return withMigrated(config.dbPath, async (conn) => {
    const summary = await runRetrain(
      {
        conn,
        config,
        logger: io.logger,
        progress: io.progress,
        signal: io.signal,
        jobId: io.jobId ?? null,
        codeVersion: options.codeVersion,
        ...(options.candidateTrainer && { candidateTrainer: options.candidateTrainer }),
        ...(io.checkpoint && { checkpoint: io.checkpoint, resume: io.resumeState }),
        ...(options.memo && { memo: options.memo }),
      },
      { trigger: payload.trigger },
    );
    io.logger.info(summary.message, { runId: summary.runId, outcome: summary.outcome });
    return summary;
  });
}
