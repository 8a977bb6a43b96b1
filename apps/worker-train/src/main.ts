import { hostname } from "node:os";
import { loadConfig } from "@mlq/config";
import { createRedisConnection, startWorkerProcess } from "@mlq/jobs";
import { mlBuildHash } from "@mlq/ml";
import { trainHandler } from "./processor.js";

// One candidate at a time, on one training thread: add hosts (or processes) to train more at once.
// It advertises its build, so a retrain in `auto` sends children only when every worker-train attached runs its build.
const config = loadConfig();
const build = mlBuildHash(config.buildId);
await startWorkerProcess({
  queue: "train",
  config,
  concurrency: 1,
  advertise: { build },
  makeHandler: (cfg, logger) =>
    trainHandler({
      config: cfg,
      connection: createRedisConnection(cfg.redisUrl, { role: "worker", connectionName: "mlq-train-blobs", logger }),
      host: cfg.hostId ?? hostname(),
      build,
    }),
});
