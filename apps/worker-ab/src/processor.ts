// The ab-eval job: the validated payload and the job's io go to the A/B task of @mlq/tasks.
import type { Config } from "@mlq/config";
import type { JobHandler, JobSummary } from "@mlq/jobs";
import { runAbEvalTask } from "@mlq/tasks";

export function abHandler(config: Config): JobHandler<"ab-eval"> {
  return async (payload, io) => (await runAbEvalTask(config, payload, io)) as unknown as JobSummary;
}
