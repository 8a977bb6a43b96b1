// The retrain job: the validated payload and the job's io go to the retrain task of @mlq/tasks.
// Candidates it skips are raised as events, and so is the end of a drift-triggered retrain (one
// that fails for good is raised as a failed job by the worker bootstrap).
//
// The search's candidates train where MLQ_SEARCH_TRAINER says: as child jobs on the train queue
// (a BullMQ flow; the job then waits for its children and runs again, resuming from its checkpoint)
// or on this worker's threads. Every way out of a run that is not a wait deletes the flow's data and
// stops its unfinished children.
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "@mlq/config";
import { AbortedError, errorMessage, isSuspended, type Logger } from "@mlq/core";
import {
  clearFlowCancel,
  createRedisConnection,
  flowCancelReason,
  liveWorkers,
  type JobHandler,
  type JobIo,
  type JobSummary,
} from "@mlq/jobs";
import { mlBuildHash, parseRetrainCheckpoint, type CandidateTrainer, type RetrainMemo } from "@mlq/ml";
import { driftRetrainNotice, runRetrainTask, withRoleNotices, type RaiseNotices } from "@mlq/tasks";
import { cleanUpFlow, flowCandidateTrainer } from "./flow-trainer.js";

/** Redis resources of the flow, opened on first use and shared by the worker's jobs. */
export interface FlowResources {
  connection: Redis;
  trainQueue: Queue;
  close(): Promise<void>;
}

export function openFlowResources(config: Config, logger?: Logger): FlowResources {
  const connection = createRedisConnection(config.redisUrl, { role: "worker", connectionName: "mlq-retrain-flow", logger });
  const trainQueue = new Queue("train", { connection, prefix: config.queuePrefix });
  return {
    connection,
    trainQueue,
    async close() {
      await trainQueue.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

export function retrainHandler(
  config: Config,
  codeVersion = "unknown",
  raise?: RaiseNotices,
  flow?: () => FlowResources,
): JobHandler<"retrain"> {
  // A suspended run's dataset, kept for its resumed pass when this process runs it (one retrain at a time).
  const memo: { current?: RetrainMemo } = {};
  return async (payload, io) => {
    const resources = config.search.trainer === "local" || !flow ? undefined : flow();
    const useFlow = resources ? await chooseFlow(config, resources, io, payload.trigger) : false;
    const candidateTrainer: CandidateTrainer | undefined =
      resources && useFlow
        ? flowCandidateTrainer({
            config,
            connection: resources.connection,
            trainQueue: resources.trainQueue,
            job: io.job,
            token: io.token,
            build: mlBuildHash(config.buildId),
            logger: io.logger,
          })
        : undefined;
    // A `mlq cancel` that arrived while the job waited for its children: this pass ends the run as cancelled.
    const cancel = new AbortController();
    const cancelled = resources ? await flowCancelReason(resources.connection, config.queuePrefix, "retrain", io.jobId) : null;
    if (cancelled) cancel.abort(new AbortedError(cancelled));
    const taskIo = {
      ...io,
      signal: AbortSignal.any([io.signal, cancel.signal]),
      ...(candidateTrainer
        ? { checkpoint: io.checkpoint, resumeState: io.resumeState }
        : { checkpoint: undefined, resumeState: undefined }),
    };
    let suspended = false;
    try {
      const summary = await withRoleNotices(config, raise, io.logger, () =>
        runRetrainTask(config, payload, taskIo, { codeVersion, candidateTrainer, memo }),
      );
      // The trigger the monitor's drift rule enqueues with (the retrain's own enum gains it with the drift monitor).
      if (raise && String(payload.trigger) === "drift") await raise([driftRetrainNotice(summary, io.jobId, Date.now())]);
      return summary as unknown as JobSummary;
    } catch (err) {
      suspended = isSuspended(err);
      throw err;
    } finally {
      if (resources && !suspended) {
        await cleanUpFlow(resources.connection, config.queuePrefix, io.job, io.logger);
        if (cancelled) await clearFlowCancel(resources.connection, config.queuePrefix, "retrain", io.jobId).catch(() => undefined);
      }
    }
  };
}

/**
 * Flow or this worker's threads: a pass that resumes a flow's checkpoint stays on the flow;
 * MLQ_SEARCH_TRAINER=flow always uses it; auto uses it when worker-train processes are attached (they
 * heartbeat into the queue's worker registry; no CLIENT LIST needed) and every one of them runs this
 * build, since a host of another build refuses the children it takes, which would fail the retrain.
 */
export async function chooseFlow(config: Config, r: Pick<FlowResources, "connection">, io: Pick<JobIo, "resumeState" | "logger">, trigger: string): Promise<boolean> {
  if (parseRetrainCheckpoint(io.resumeState, trigger as never)) return true;
  if (config.search.trainer === "flow") return true;
  try {
    const workers = await liveWorkers(r.connection, config.queuePrefix, "train");
    if (workers.length === 0) {
      io.logger.info("no worker-train attached to the train queue: the search trains on this worker's threads");
      return false;
    }
    const build = mlBuildHash(config.buildId);
    const others = workers.filter((w) => w.tags.build !== build);
    if (others.length > 0) {
      io.logger.warn(
        `${others.length} of ${workers.length} worker-train attached run another build (${others.map((w) => `${w.host} ${w.tags.build ?? "unknown"}`).join(", ")}; this is ${build}): the search trains on this worker's threads`,
      );
      return false;
    }
    return true;
  } catch (err) {
    io.logger.warn("cannot read the train queue's worker registry: the search trains on this worker's threads", {
      error: errorMessage(err),
    });
    return false;
  }
}
