// Bridge from the app logger into a BullMQ job's own log, so Bull Board shows what the job said.
import type { AppLogger } from "./create-logger.js";

/** The slice of a BullMQ Job the bridge needs (a real Job satisfies it). */
export interface LoggableJob {
  id?: string | undefined;
  queueName: string;
  attemptsMade: number;
  log(row: string): Promise<unknown>;
}

export interface JobLoggerOptions {
  /** Mirror debug lines into the job log too (default false: they are noisy). */
  mirrorDebug?: boolean;
  /** Called when writing to the job log fails (default: ignore). */
  onMirrorError?: (err: unknown) => void;
}

type Level = "debug" | "info" | "warn" | "error";

/** One job-log row: `2026-11-03T13:00:01.123Z info message {"k":1}`. */
export function formatJobLogLine(level: Level, message: string, fields: Record<string, unknown> | undefined, now = new Date()): string {
  const rest = fields && Object.keys(fields).length > 0 ? ` ${safeJson(fields)}` : "";
  return `${now.toISOString()} ${level} ${message}${rest}`;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (x instanceof Error ? x.message : typeof x === "bigint" ? x.toString() : x));
  } catch {
    return "[unserializable fields]";
  }
}

/**
 * A child of `base` carrying `{ queue, jobId, attempt, ...fields }` whose lines also go to
 * `job.log(...)`. Job-log writes are fire-and-forget and can never throw into the caller.
 */
export function jobLogger(base: AppLogger, job: LoggableJob, fields: Record<string, unknown> = {}, options: JobLoggerOptions = {}): AppLogger {
  const child = base.child({ queue: job.queueName, jobId: job.id, attempt: job.attemptsMade + 1, ...fields });
  return mirrored(child, job, options);
}

function mirrored(inner: AppLogger, job: LoggableJob, options: JobLoggerOptions): AppLogger {
  const mirror = (level: Level, message: string, f?: Record<string, unknown>): void => {
    if (level === "debug" && !options.mirrorDebug) return;
    try {
      job.log(formatJobLogLine(level, message, f)).catch((err: unknown) => options.onMirrorError?.(err));
    } catch (err) {
      options.onMirrorError?.(err);
    }
  };
  const at =
    (level: Level) =>
    (message: string, f?: Record<string, unknown>): void => {
      inner[level](message, f);
      mirror(level, message, f);
    };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (more) => mirrored(inner.child(more), job, options),
    filePath: inner.filePath,
    close: () => inner.close(),
  };
}
