import { loadConfig } from "@mlq/config";
import { startWorkerProcess } from "@mlq/jobs";
import { calibrateHandler } from "./processor.js";

await startWorkerProcess({ queue: "calibrate", config: loadConfig(), makeHandler: (config) => calibrateHandler(config) });
