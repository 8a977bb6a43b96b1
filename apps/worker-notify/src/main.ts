import { loadConfig } from "@mlq/config";
import { startWorkerProcess } from "@mlq/jobs";
import { notifyHandler } from "./processor.js";

// Deliveries are short network waits: a few at once, so one slow endpoint attempt does not hold up the rest.
await startWorkerProcess({ queue: "notify", config: loadConfig(), concurrency: 4, makeHandler: (config) => notifyHandler(config) });
