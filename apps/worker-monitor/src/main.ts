import { loadConfig } from "@mlq/config";
import { startWorkerProcess } from "@mlq/jobs";
import { monitorHandler } from "./processor.js";

await startWorkerProcess({
  queue: "monitor",
  config: loadConfig(),
  makeHandler: (config, _logger, notifier) => monitorHandler(config, (events) => notifier.raise(events)),
});
