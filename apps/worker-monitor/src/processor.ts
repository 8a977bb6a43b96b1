// The monitor job: the validated payload and the job's io go to the monitor task of @mlq/tasks; a
// rollback it records is raised as an event.
import type { Config } from "@mlq/config";
import type { JobHandler, JobSummary } from "@mlq/jobs";
import { runMonitorTask, withRoleNotices, type RaiseNotices } from "@mlq/tasks";

export function monitorHandler(config: Config, raise?: RaiseNotices): JobHandler<"monitor"> {
  return async (payload, io) =>
    (await withRoleNotices(config, raise, io.logger, () => runMonitorTask(config, payload, io))) as unknown as JobSummary;
}
