import { hostname } from "node:os";
import { loadConfig } from "@mlq/config";
import { createRedisConnection, startWorkerProcess } from "@mlq/jobs";
import { mlBuildHash } from "@mlq/ml";
import { trainHandler } from "./processor.js";

// One candidate at a time, on one training thread: add hosts (or processes) to train more at once.
await startWorkerProcess({
  queue: "train",
  config: loadConfig(),
  concurrency: 1,
  makeHandler: (config, logger) =>
    trainHandler({
      config,
      connection: createRedisConnection(config.redisUrl, { role: "worker", connectionName: "mlq-train-blobs", logger }),
      host: config.hostId ?? hostname(),
      build: mlBuildHash(config.buildId),
    }),
});
