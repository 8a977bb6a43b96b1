import { loadConfig } from "@mlq/config";
import { startWorkerProcess } from "@mlq/jobs";
import { openFlowResources, retrainHandler, type FlowResources } from "./processor.js";

let flow: FlowResources | undefined;
await startWorkerProcess({
  queue: "retrain",
  config: loadConfig(),
  makeHandler: (config, logger, notifier) =>
    retrainHandler(
      config,
      process.env.MLQ_CODE_VERSION,
      (events) => notifier.raise(events),
      () => (flow ??= openFlowResources(config, logger)),
    ),
});
