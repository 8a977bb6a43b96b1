// The retrain job: the validated payload and the job's io go to the retrain task of @mlq/tasks.
import type { Config } from "@mlq/config";
import type { JobHandler, JobSummary } from "@mlq/jobs";
import { runRetrainTask } from "@mlq/tasks";

export function retrainHandler(config: Config, codeVersion = "unknown"): JobHandler<"retrain"> {
  return async (payload, io) => (await runRetrainTask(config, payload, io, { codeVersion })) as unknown as JobSummary;
}
