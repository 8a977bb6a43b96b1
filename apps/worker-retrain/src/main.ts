import { loadConfig } from "@mlq/config";
import { startWorkerProcess } from "@mlq/jobs";
import { retrainHandler } from "./processor.js";

await startWorkerProcess({ queue: "retrain", config: loadConfig(), makeHandler: (config) => retrainHandler(config, process.env.MLQ_CODE_VERSION) });
