// The monitor job: the validated payload and the job's io go to the monitor task of @mlq/tasks; a
// rollback it records is raised as an event; a drift retrain goes through the retrain queue (the
// producer's enqueue: deduplicated, one at a time).
import type { Config } from "@mlq/config";
import type { Logger } from "@mlq/core";
import { createProducer, type JobHandler, type JobSummary, type Producer } from "@mlq/jobs";
import { runMonitorTask, withRoleNotices, type EnqueueDriftRetrain, type RaiseNotices } from "@mlq/tasks";

export function monitorHandler(config: Config, logger: Logger, raise?: RaiseNotices): JobHandler<"monitor"> {
  // Opened at the first drift retrain, kept for the life of the process.
  let producer: Producer | undefined;
  const enqueueRetrain: EnqueueDriftRetrain = async (requestedBy) => {
    producer ??= createProducer({ redisUrl: config.redisUrl, prefix: config.queuePrefix, config, logger });
    const r = await producer.enqueue("retrain", { trigger: "drift", requestedBy });
    return { jobId: r.jobId, deduplicated: r.deduplicated };
  };
  return async (payload, io) =>
    (await withRoleNotices(config, raise, io.logger, () => runMonitorTask(config, payload, io, { enqueueRetrain }))) as unknown as JobSummary;
}
