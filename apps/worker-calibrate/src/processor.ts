// The calibrate job: the validated payload and the job's io go to the calibration task of @mlq/tasks.
import type { Config } from "@mlq/config";
import type { JobHandler, JobSummary } from "@mlq/jobs";
import { runCalibrateTask } from "@mlq/tasks";

export function calibrateHandler(config: Config): JobHandler<"calibrate"> {
  return async (payload, io) => (await runCalibrateTask(config, payload, io)) as unknown as JobSummary;
}
