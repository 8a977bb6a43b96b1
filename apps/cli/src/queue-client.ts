// Runs a job either in-process (--local, no Redis) or through the real queue, with the same
// printed result: the CLI never has two code paths for what a job does, only for where.
import { resolve } from "node:path";
import { checkRedis, createProducer, type Producer, type QueueName } from "@mlq/jobs";
import type { Config } from "@mlq/config";
import { errorMessage } from "@mlq/core";
import { printJson } from "./output.js";
import { progressBar } from "./progress.js";
import { cliConfig, stderrLogger } from "./context.js";
import { UsageError } from "./errors.js";

/**
 * The config of a run through the queue. Job payloads carry no paths: a worker serves the files
 * of its own configuration, so a --db / --out naming another file is refused, not ignored.
 */
export function queueConfig(paths: { db?: string | undefined; out?: string | undefined }): Config {
  const config = cliConfig();
  const refuse = (option: string, given: string | undefined, configured: string, what: string): void => {
    if (given !== undefined && resolve(given) !== resolve(configured))
      throw new UsageError(`${option} ${given}: workers use their configured ${what} (${resolve(configured)}); run with --local for another file`);
  };
  refuse("--db", paths.db, config.dbPath, "database");
  refuse("--out", paths.out, config.calibrationPath, "calibration file");
  return config;
}

export async function withProducer<T>(config: Config, fn: (producer: Producer) => Promise<T>): Promise<T> {
  await checkRedis(config.redisUrl, 3000);
  const producer = createProducer({ redisUrl: config.redisUrl, prefix: config.queuePrefix, config, logger: stderrLogger(false) });
  try {
    return await fn(producer);
  } finally {
    await producer.stop();
  }
}

export interface JobCommand<S> {
  config: Config;
  queue: QueueName;
  payload: Record<string, unknown>;
  local: boolean;
  wait: boolean;
  json: boolean;
  runLocal: (progress: ReturnType<typeof progressBar>["update"]) => Promise<S> | S;
  print: (summary: S) => void;
  /** Exit code for a finished summary (default 0). */
  exitCode?: (summary: S) => number;
  /** While waiting for a queued job (not with --json): e.g. a progress line; stopped when the job ends. */
  watch?: (producer: Producer, jobId: string) => { stop(): Promise<void> };
  /** After a queued job completed, before its summary is printed (the producer is still open). */
  completed?: (producer: Producer, jobId: string, summary: S) => Promise<void>;
}

export async function runJobCommand<S>(cmd: JobCommand<S>): Promise<void> {
  const bar = progressBar(!cmd.json);
  let summary: S;
  try {
    if (cmd.local) {
      summary = await cmd.runLocal(bar.update);
    } else {
      const done = await withProducer(cmd.config, async (producer) => {
        const res = await producer.enqueue(cmd.queue, { ...cmd.payload, requestedBy: `cli:${process.env.USER ?? "unknown"}` });
        if (!cmd.wait) return { queued: res };
        if (res.deduplicated) process.stderr.write(`${res.message}\n`);
        else if (!cmd.json) process.stderr.write(`enqueued ${cmd.queue} job ${res.jobId}; waiting for a worker (Ctrl-C stops waiting, not the job)\n`);
        const watch = cmd.json ? undefined : cmd.watch?.(producer, res.jobId);
        let result: S;
        try {
          result = (await producer.waitForJob(cmd.queue, res.jobId, {
            onProgress: (p) => {
              const pr = p as { stage?: string; pct?: number; detail?: string } | number | null;
              if (pr && typeof pr === "object" && typeof pr.pct === "number") bar.update({ stage: pr.stage ?? cmd.queue, pct: pr.pct, ...(pr.detail ? { detail: pr.detail } : {}) });
              else if (typeof pr === "number") bar.update({ stage: cmd.queue, pct: pr });
            },
          })) as unknown as S;
        } finally {
          await watch?.stop();
        }
        if (!cmd.json) await cmd.completed?.(producer, res.jobId, result).catch(() => undefined);
        return { result, jobId: res.jobId };
      });
      if ("queued" in done && done.queued) {
        bar.stop();
        if (cmd.json) printJson(done.queued);
        else process.stdout.write(done.queued.message.includes(done.queued.jobId) ? `${done.queued.message}\n` : `${done.queued.message} (job ${done.queued.jobId})\n`);
        return;
      }
      summary = (done as { result: S }).result;
    }
  } catch (err) {
    bar.stop();
    throw err instanceof Error ? err : new Error(errorMessage(err));
  }
  bar.stop();
  if (cmd.json) printJson(summary);
  else cmd.print(summary);
  process.exitCode = cmd.exitCode?.(summary) ?? 0;
}
