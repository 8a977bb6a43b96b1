// The ab-eval job: the validated payload and the job's io go to the A/B task of @mlq/tasks; the
// role changes it records (swaps, rollbacks, rejected or expired challengers) are raised as events.
import type { Config } from "@mlq/config";
import type { JobHandler, JobSummary } from "@mlq/jobs";
import { runAbEvalTask, withRoleNotices, type RaiseNotices } from "@mlq/tasks";

export function abHandler(config: Config, raise?: RaiseNotices): JobHandler<"ab-eval"> {
  return async (payload, io) =>
    (await withRoleNotices(config, raise, io.logger, () => runAbEvalTask(config, payload, io))) as unknown as JobSummary;
}
