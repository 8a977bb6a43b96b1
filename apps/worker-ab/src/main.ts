import { loadConfig } from "@mlq/config";
import { startWorkerProcess } from "@mlq/jobs";
import { abHandler } from "./processor.js";

await startWorkerProcess({
  queue: "ab-eval",
  config: loadConfig(),
  makeHandler: (config, _logger, notifier) => abHandler(config, (events) => notifier.raise(events)),
});
