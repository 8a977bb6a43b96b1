// The retrain job: the validated payload and the job's io go to the retrain task of @mlq/tasks.
// Candidates it skips are raised as events, and so is the end of a drift-triggered retrain (one
// that fails for good is raised as a failed job by the worker bootstrap).
import type { Config } from "@mlq/config";
import type { JobHandler, JobSummary } from "@mlq/jobs";
import { driftRetrainNotice, runRetrainTask, withRoleNotices, type RaiseNotices } from "@mlq/tasks";

export function retrainHandler(config: Config, codeVersion = "unknown", raise?: RaiseNotices): JobHandler<"retrain"> {
  return async (payload, io) => {
    const summary = await withRoleNotices(config, raise, io.logger, () => runRetrainTask(config, payload, io, { codeVersion }));
    // The trigger the monitor's drift rule enqueues with (the retrain's own enum gains it with the drift monitor).
    if (raise && String(payload.trigger) === "drift") await raise([driftRetrainNotice(summary, io.jobId, Date.now())]);
    return summary as unknown as JobSummary;
  };
}
