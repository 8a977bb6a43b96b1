// The job catalog as data: per queue its payload schema, default payload, scheduler and
// exclusivity; `jobCatalog(config)` resolves timeouts, retry policy and cron from the config.
import { z } from "zod";
import { ConfigError } from "@mlq/core";
import type { MlqErrorOptions } from "@mlq/core";
import type { Config } from "@mlq/config";

export const QUEUE_NAMES = ["retrain", "ab-eval", "calibrate", "monitor", "notify", "train"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** JSON size above which a payload is refused (payloads are small option bags, never data). */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

const requestedBy = z.string().min(1).max(200).optional();

// Payloads never name a file (SPEC §1): each worker serves the database, models directory and
// calibration file of its own configuration, so a payload cannot make a worker open, migrate or
// write a file of its choosing. The schemas are strict (unknown keys are refused); these keys get
// a message that says where the file comes from instead.
const PATH_KEYS: ReadonlyMap<string, string> = new Map([
  ["dbPath", "database (MLQ_DB_PATH)"],
  ["outPath", "calibration file (MLQ_CALIBRATION_PATH)"],
  ["calibrationPath", "calibration file (MLQ_CALIBRATION_PATH)"],
  ["modelsDir", "models directory (MLQ_MODELS_DIR)"],
  ["logsDir", "logs directory (MLQ_LOGS_DIR)"],
]);

export const RetrainPayloadSchema = z.strictObject({
  trigger: z.enum(["scheduled", "force", "smoke", "dry-run", "drift"]).default("scheduled"),
  requestedBy,
});
export type RetrainPayload = z.output<typeof RetrainPayloadSchema>;

export const AbEvalPayloadSchema = z.strictObject({
  action: z.enum(["evaluate", "dry-run", "force-swap", "rollback"]).default("evaluate"),
  requestedBy,
});
export type AbEvalPayload = z.output<typeof AbEvalPayloadSchema>;

export const CalibratePayloadSchema = z.strictObject({
  requestedBy,
});
export type CalibratePayload = z.output<typeof CalibratePayloadSchema>;

export const MonitorPayloadSchema = z.strictObject({
  requestedBy,
});
export type MonitorPayload = z.output<typeof MonitorPayloadSchema>;

/** What raises an event (SPEC §8 "notify"): role changes of the promotion loop, drift retrains, jobs that failed for good. */
export const NOTIFY_EVENT_TYPES = [
  "champion.promoted",
  "champion.force_swapped",
  "champion.rolled_back",
  "challenger.rejected",
  "challenger.expired",
  "candidate.skipped",
  "retrain.drift",
  "job.failed",
] as const;
export type NotifyEventType = (typeof NOTIFY_EVENT_TYPES)[number];

/** Event ids are also the notify job's id (a second raise of one event is a no-op): no ':' and not all digits. */
export const NOTIFY_EVENT_ID = /^(?!\d+$)[A-Za-z0-9._-]{1,128}$/;

/** One event, as delivered (the webhook body is this object without requestedBy). */
export const NotifyPayloadSchema = z.strictObject({
  id: z.string().regex(NOTIFY_EVENT_ID, "expected 1-128 of [A-Za-z0-9._-], not all digits"),
  type: z.enum(NOTIFY_EVENT_TYPES),
  occurredAt: z.iso.datetime(),
  summary: z.string().min(1).max(1000),
  data: z.record(z.string(), z.unknown()).default({}),
  requestedBy,
});
export type NotifyPayload = z.output<typeof NotifyPayloadSchema>;

/** The search's model names (ml's MODEL_NAMES; jobs does not depend on ml). */
export const TRAIN_MODEL_NAMES = ["direction", "risk", "price", "momentum", "volatility"] as const;

/**
 * One search candidate of one model, a child of the retrain job that published its data (issue 18).
 * `dataSha256` names the candidate data in Redis (never a file); `build` is the code version that
 * encoded it: a worker-train of another build refuses the job.
 */
export const TrainPayloadSchema = z.strictObject({
  runId: z.number().int().positive(),
  dataSha256: z.string().regex(/^[0-9a-f]{64}$/, "expected a sha256 hex digest"),
  build: z.string().min(1).max(128),
  model: z.enum(TRAIN_MODEL_NAMES),
  candidate: z.number().int().min(0).max(10_000),
  params: z.strictObject({
    rounds: z.number().int().min(1).max(100_000),
    maxDepth: z.number().int().min(1).max(16),
    eta: z.number().gt(0).max(1),
    subsample: z.number().gt(0).max(1).optional(),
    minChildWeight: z.number().min(0).optional(),
    treeMethod: z.literal("hist"),
    seed: z.number().int().optional(),
  }),
  requestedBy,
});
export type TrainPayload = z.output<typeof TrainPayloadSchema>;

export interface PayloadByQueue {
  retrain: RetrainPayload;
  "ab-eval": AbEvalPayload;
  calibrate: CalibratePayload;
  monitor: MonitorPayload;
  notify: NotifyPayload;
  train: TrainPayload;
}
export type PayloadFor<Q extends QueueName> = PayloadByQueue[Q];
/** What callers may pass (defaults not yet applied). */
export type PayloadInput<Q extends QueueName> = z.input<(typeof QUEUE_DEFINITIONS)[Q]["schema"]>;

export interface QueueDefinition {
  readonly schema: z.ZodType;
  /** Job name given to scheduled jobs and to ad-hoc jobs. */
  readonly jobName: string;
  /** Payload of the scheduled job. */
  readonly scheduledPayload: Readonly<Record<string, unknown>>;
  /** Scheduler id (our ids start with SCHEDULER_ID_PREFIX so stale ones can be found and removed); absent: no scheduler. */
  readonly schedulerId?: string;
  /** Config keys of the cron pattern and timeout. */
  readonly cronSetting?: Exclude<keyof Config["schedules"], "tz" | "recheckMs">;
  readonly cronEnvVar?: string;
  readonly timeoutSetting: keyof Config["timeouts"];
  /**
   * Deduplication id when at most one job of this queue may exist at a time (waiting, delayed or
   * active). Ad-hoc jobs carry it as BullMQ `deduplication.id`; scheduled jobs claim it when they start.
   */
  readonly exclusiveId?: string;
}

export const SCHEDULER_ID_PREFIX = "mlq-";

export const QUEUE_DEFINITIONS = {
  retrain: {
    schema: RetrainPayloadSchema,
    jobName: "retrain",
    scheduledPayload: { trigger: "scheduled" },
    schedulerId: "mlq-retrain-daily",
    cronSetting: "retrain",
    cronEnvVar: "MLQ_CRON_RETRAIN",
    timeoutSetting: "retrain",
    exclusiveId: "retrain",
  },
  "ab-eval": {
    schema: AbEvalPayloadSchema,
    jobName: "ab-eval",
    scheduledPayload: { action: "evaluate" },
    schedulerId: "mlq-ab-eval-daily",
    cronSetting: "abEval",
    cronEnvVar: "MLQ_CRON_AB_EVAL",
    timeoutSetting: "abEval",
  },
  calibrate: {
    schema: CalibratePayloadSchema,
    jobName: "calibrate",
    scheduledPayload: {},
    schedulerId: "mlq-calibrate-daily",
    cronSetting: "calibrate",
    cronEnvVar: "MLQ_CRON_CALIBRATE",
    timeoutSetting: "calibrate",
  },
  // Hourly; not exclusive: a second run sees the champion the first left (a fresh one after a rollback).
  monitor: {
    schema: MonitorPayloadSchema,
    jobName: "monitor",
    scheduledPayload: {},
    schedulerId: "mlq-monitor-hourly",
    cronSetting: "monitor",
    cronEnvVar: "MLQ_CRON_MONITOR",
    timeoutSetting: "monitor",
  },
  // No scheduler: other jobs raise events; retried with its own backoff (MLQ_NOTIFY_*), never blocking them.
  notify: {
    schema: NotifyPayloadSchema,
    jobName: "notify",
    scheduledPayload: {},
    timeoutSetting: "notify",
  },
  // No scheduler: a retrain adds its search candidates as children (a BullMQ flow) and waits for them.
  train: {
    schema: TrainPayloadSchema,
    jobName: "train",
    scheduledPayload: {},
    timeoutSetting: "train",
  },
} as const satisfies Record<QueueName, QueueDefinition>;

/** Queues with a job scheduler; the others only take jobs that someone enqueues. */
export const SCHEDULED_QUEUES = QUEUE_NAMES.filter((q) => (QUEUE_DEFINITIONS[q] as QueueDefinition).schedulerId !== undefined);

export interface RetryPolicy {
  attempts: number;
  backoff: { type: "exponential"; delay: number };
}

export interface RetentionPolicy {
  removeOnComplete: { age: number; count: number };
  removeOnFail: { age: number; count: number };
}

export interface ResolvedQueue {
  queue: QueueName;
  jobName: string;
  /** False for queues without a scheduler (schedulerId, pattern and cronEnvVar are then empty). */
  scheduled: boolean;
  schedulerId: string;
  pattern: string;
  tz: string;
  /** Setting that holds the pattern, for error messages. */
  cronEnvVar: string;
  scheduledPayload: Record<string, unknown>;
  timeoutMs: number;
  retry: RetryPolicy;
  retention: RetentionPolicy;
  exclusiveId: string | undefined;
}

/** The catalog with the config's timeouts, retry, retention and schedules filled in. */
export function jobCatalog(config: Pick<Config, "schedules" | "timeouts" | "retry" | "retention" | "notify">): Record<QueueName, ResolvedQueue> {
  const retry: RetryPolicy = { attempts: config.retry.attempts, backoff: { type: "exponential", delay: config.retry.backoffMs } };
  const retention = retentionOptions(config.retention);
  const out = {} as Record<QueueName, ResolvedQueue>;
  for (const queue of QUEUE_NAMES) {
    const def: QueueDefinition = QUEUE_DEFINITIONS[queue];
    // An event's delivery retries on its own schedule: an endpoint may be down for hours.
    const policy = queue === "notify" ? { attempts: config.notify.attempts, backoff: { type: "exponential" as const, delay: config.notify.backoffMs } } : retry;
    out[queue] = {
      queue,
      jobName: def.jobName,
      scheduled: def.schedulerId !== undefined,
      schedulerId: def.schedulerId ?? "",
      pattern: def.cronSetting ? config.schedules[def.cronSetting] : "",
      tz: config.schedules.tz,
      cronEnvVar: def.cronEnvVar ?? "",
      scheduledPayload: { ...(def.scheduledPayload as Record<string, unknown>) },
      timeoutMs: config.timeouts[def.timeoutSetting],
      retry: { attempts: policy.attempts, backoff: { ...policy.backoff } },
      retention,
      exclusiveId: def.exclusiveId,
    };
  }
  return out;
}

/** BullMQ keep-jobs options from the retention settings (ages in seconds, as BullMQ wants). */
export function retentionOptions(r: Config["retention"]): RetentionPolicy {
  return {
    removeOnComplete: { age: r.completedAgeSec, count: r.completedCount },
    removeOnFail: { age: r.failedAgeSec, count: r.failedCount },
  };
}

export function isQueueName(name: unknown): name is QueueName {
  return typeof name === "string" && (QUEUE_NAMES as readonly string[]).includes(name);
}

/** An invalid job payload: never retried. */
export class PayloadError extends ConfigError {
  constructor(message: string, options?: MlqErrorOptions) {
    super(message, options);
  }
}

/** Validates `data` for `queue`, applying defaults; throws PayloadError naming the queue and the bad fields. */
export function parsePayload<Q extends QueueName>(queue: Q, data: unknown): PayloadFor<Q> {
  if (!isQueueName(queue)) throw new PayloadError(`unknown queue ${JSON.stringify(queue)} (expected ${QUEUE_NAMES.join(", ")})`);
  let json: string | undefined;
  try {
    json = JSON.stringify(data ?? {});
  } catch (err) {
    throw new PayloadError(`${queue} payload is not JSON-serializable`, { cause: err });
  }
  const bytes = Buffer.byteLength(json ?? "", "utf8");
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new PayloadError(`${queue} payload is ${(bytes / 1024).toFixed(1)} KiB, above the ${MAX_PAYLOAD_BYTES / 1024} KiB limit`, {
      context: { queue, bytes },
    });
  }
  const pathKeys = data !== null && typeof data === "object" ? Object.keys(data).filter((k) => PATH_KEYS.has(k)) : [];
  if (pathKeys.length > 0) {
    const problems = pathKeys.map((k) => `${k} is not accepted in job payloads: workers use their configured ${PATH_KEYS.get(k)!}`);
    throw new PayloadError(`invalid ${queue} payload: ${problems.join("; ")}`, { context: { queue, problems } });
  }
  const result = QUEUE_DEFINITIONS[queue].schema.safeParse(data ?? {});
  if (!result.success) {
    const problems = result.error.issues.map(describeIssue);
    throw new PayloadError(`invalid ${queue} payload: ${problems.join("; ")}`, { context: { queue, problems } });
  }
  return result.data as PayloadFor<Q>;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
  const where = issue.path.length > 0 ? issue.path.map(String).join(".") : "payload";
  return `${where}: ${issue.message}`;
}
