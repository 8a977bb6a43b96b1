import type { Command } from "commander";
import { ENV_VARS } from "@mlq/config";
import { JobNotFoundError, QUEUE_NAMES, isQueueName, type JobStateName, type QueueName } from "@mlq/jobs";
import { UsageError, positiveInt } from "../errors.js";
import { cliConfig } from "../context.js";
import { printJson, printTable } from "../output.js";
import { withProducer } from "../queue-client.js";

const STATES: JobStateName[] = ["waiting", "active", "delayed", "prioritized", "completed", "failed", "waiting-children"];

function queueArg(v: string): QueueName {
  if (!isQueueName(v)) throw new UsageError(`--queue expects ${QUEUE_NAMES.join(", ")}, got "${v}"`);
  return v;
}
function stateArg(v: string): JobStateName {
  if (!(STATES as string[]).includes(v)) throw new UsageError(`--state expects one of ${STATES.join(", ")}, got "${v}"`);
  return v as JobStateName;
}
/** A job id that does not exist is an operator's typo: exit 2 like any usage error. */
function notFoundIsUsage(err: unknown): never {
  if (err instanceof JobNotFoundError) throw new UsageError(err.message);
  throw err;
}

export function registerOps(program: Command): void {
  program
    .command("schedules")
    .description("list the job schedulers and their next run times (UTC)")
    .option("--json", "machine-readable output")
    .action(async (opts: { json?: boolean }) => {
      const config = cliConfig();
      const rows = await withProducer(config, (p) => p.schedules());
      if (opts.json) printJson(rows);
      else printTable(null, ["scheduler", "queue", "cron", "tz", "next run", "registered"], rows.map((s) => [s.id, s.queue, s.pattern, s.tz, s.next, s.registered]));
    });

  program
    .command("jobs")
    .description("list recent jobs")
    .option("--queue <queue>", QUEUE_NAMES.join(" | "), queueArg)
    .option("--state <state>", STATES.join(" | "), stateArg)
    .option("--limit <n>", "how many", positiveInt("--limit"), 20)
    .option("--json", "machine-readable output")
    .action(async (opts: { queue?: QueueName; state?: JobStateName; limit: number; json?: boolean }) => {
      const config = cliConfig();
      const jobs = await withProducer(config, (p) => p.listJobs({ queue: opts.queue, state: opts.state, limit: opts.limit }));
      if (opts.json) printJson(jobs);
      else
        printTable(
          null,
          ["id", "queue", "state", "attempts", "created", "finished", "failure"],
          jobs.map((j) => [j.id, j.queue, j.state, j.attemptsMade, j.createdAt, j.finishedAt, j.failedReason]),
        );
    });

  program
    .command("retry")
    .description("retry a failed job")
    .argument("<jobId>")
    .option("--json", "machine-readable output")
    .action(async (jobId: string, opts: { json?: boolean }) => {
      const config = cliConfig();
      const job = await withProducer(config, (p) => p.retry(jobId)).catch(notFoundIsUsage);
      if (opts.json) printJson(job);
      else process.stdout.write(`job ${job.id} (${job.queue}) is ${job.state} again\n`);
    });

  program
    .command("cancel")
    .description("cancel a waiting or running job, from any host")
    .argument("<jobId>")
    .option("--json", "machine-readable output")
    .action(async (jobId: string, opts: { json?: boolean }) => {
      const config = cliConfig();
      const outcome = await withProducer(config, (p) => p.cancel(jobId, { requestedBy: `cli:${process.env.USER ?? "unknown"}` }));
      if (outcome === "not-found") throw new UsageError(`no job ${jobId} in ${QUEUE_NAMES.join(", ")}`);
      if (opts.json) printJson({ jobId, outcome });
      else
        process.stdout.write(
          {
            "cancelled-waiting": `job ${jobId} was waiting: removed`,
            "signalled-active": `job ${jobId} is running: its worker was told to abort it`,
            "cancelled-waiting-children": `job ${jobId} was waiting for its children: waiting ones removed, running ones told to abort; it now ends as cancelled and closes its run`,
            "already-finished": `job ${jobId} had already finished: nothing to cancel`,
          }[outcome] + "\n",
        );
    });

  program
    .command("config")
    .description("list every setting: environment variable, current value, meaning")
    .option("--json", "machine-readable output")
    .action((opts: { json?: boolean }) => {
      const config = cliConfig() as unknown as Record<string, unknown>;
      const valueAt = (path: string) => path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], config);
      const rows = ENV_VARS.map((v) => ({ name: v.name, value: /PASSWORD|TOKEN|SECRET|WEBHOOK_URL/.test(v.name) && valueAt(v.path) ? "***" : valueAt(v.path), help: v.help }));
      if (opts.json) printJson(rows);
      else printTable(null, ["variable", "value", "meaning"], rows.map((r) => [r.name, r.value === undefined ? "(unset)" : r.value, r.help]));
    });
}
