// The monitor job: the validated payload and the job's io go to the monitor task of @mlq/tasks.
import type { Config } from "@mlq/config";
import type { JobHandler, JobSummary } from "@mlq/jobs";
import { runMonitorTask } from "@mlq/tasks";

export function monitorHandler(config: Config): JobHandler<"monitor"> {
  return async (payload, io) => (await runMonitorTask(config, payload, io)) as unknown as JobSummary;
}
