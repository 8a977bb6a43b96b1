import { loadConfig } from "@mlq/config";
import { startWorkerProcess } from "@mlq/jobs";
import { retrainHandler } from "./processor.js";

await startWorkerProcess({
  queue: "retrain",
  config: loadConfig(),
  makeHandler: (config, _logger, notifier) => retrainHandler(config, process.env.MLQ_CODE_VERSION, (events) => notifier.raise(events)),
});
