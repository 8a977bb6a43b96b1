// The notify job: the validated event goes to the notify task of @mlq/tasks (one signed POST).
import type { Config } from "@mlq/config";
import type { JobHandler, JobSummary } from "@mlq/jobs";
import { runNotifyTask } from "@mlq/tasks";

export function notifyHandler(config: Config): JobHandler<"notify"> {
  return async (payload, io) => (await runNotifyTask(config, payload, io)) as unknown as JobSummary;
}
