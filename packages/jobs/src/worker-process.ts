// The composition every worker app shares: logger, Redis check, runWorker with the configured
// timeout/lock/grace, signal handlers. Each app's main.ts only names its queue and handler.
import type { Config } from "@mlq/config";
import { createLogger, type AppLogger } from "@mlq/logger";
import { jobCatalog, type QueueName } from "./catalog.js";
import { checkRedis, maskRedisUrl } from "./redis.js";
import { createNotifier, jobFailedEvent, type Notifier } from "./notifier.js";
import { runWorker, type JobHandler, type WorkerHandle } from "./run-worker.js";

export interface WorkerProcessOptions<Q extends QueueName> {
  queue: Q;
  config: Config;
  /** `notifier` raises events (a no-op without MLQ_NOTIFY_WEBHOOK_URL). */
  makeHandler: (config: Config, logger: AppLogger, notifier: Notifier) => JobHandler<Q>;
  concurrency?: number;
  /** What the worker advertises in the queue's registry (see `liveWorkers`). */
  advertise?: Record<string, string>;
}

export async function startWorkerProcess<Q extends QueueName>(options: WorkerProcessOptions<Q>): Promise<WorkerHandle> {
  const { config, queue } = options;
  const logger = createLogger({ name: `worker-${queue}`, logsDir: config.logsDir, level: config.logLevel });
  await checkRedis(config.redisUrl, 5000);
  const def = jobCatalog(config)[queue];
  const notifier = createNotifier({ config, logger });
  const handle = runWorker({
    queue,
    prefix: config.queuePrefix,
    redisUrl: config.redisUrl,
    concurrency: options.concurrency ?? 1,
    lockDurationMs: config.worker.lockDurationMs,
    stalledIntervalMs: config.worker.stalledIntervalMs,
    timeoutMs: def.timeoutMs,
    shutdownGraceMs: config.worker.shutdownGraceMs,
    logger,
    handler: options.makeHandler(config, logger, notifier),
    installSignalHandlers: true,
    hostId: config.hostId,
    advertise: options.advertise,
    // A notify job that fails for good is logged, not raised again (an endpoint that stays down would loop).
    onFailedForGood: queue === "notify" ? undefined : (failure) => notifier.raise([jobFailedEvent(failure, Date.now())]),
  });
  logger.info(`worker for queue ${queue} started`, { redis: maskRedisUrl(config.redisUrl), prefix: config.queuePrefix, db: config.dbPath, modelsDir: config.modelsDir, calibrationPath: config.calibrationPath, pid: process.pid });
  return { worker: handle.worker, close: () => handle.close().finally(() => notifier.close()) };
}
