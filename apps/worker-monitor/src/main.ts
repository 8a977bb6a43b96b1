import { loadConfig } from "@mlq/config";
import { startWorkerProcess } from "@mlq/jobs";
import { monitorHandler } from "./processor.js";

await startWorkerProcess({
  queue: "monitor",
  config: loadConfig(),
  makeHandler: (config, logger, notifier) => monitorHandler(config, logger, (events) => notifier.raise(events)),
});
