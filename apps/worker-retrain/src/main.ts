import { jobCatalog, startFlowWatchdog, startWorkerProcess } from "@mlq/jobs";
import { loadConfig } from "@mlq/config";
import { openFlowResources, retrainHandler, type FlowResources } from "./processor.js";

let flow: FlowResources | undefined;
await startWorkerProcess({
  queue: "retrain",
  config: loadConfig(),
  makeHandler: (config, logger, notifier) => {
    const resources = () => (flow ??= openFlowResources(config, logger));
    // A retrain waiting for its search candidates past its deadline is woken and ends as timed out.
    if (config.search.trainer !== "local")
      startFlowWatchdog({
        connection: resources().connection,
        prefix: config.queuePrefix,
        queue: "retrain",
        timeoutMs: jobCatalog(config).retrain.timeoutMs,
        logger,
      });
    return retrainHandler(config, process.env.MLQ_CODE_VERSION, (events) => notifier.raise(events), resources);
  },
});
