// Composition root of the producer process: config from the environment, logger, schedulers.
import { loadConfig } from "@mlq/config";
import { errorMessage } from "@mlq/core";
import { createLogger } from "@mlq/logger";
import { createProducer } from "@mlq/jobs";

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ name: "producer", logsDir: config.logsDir, level: config.logLevel });
  const producer = createProducer({ redisUrl: config.redisUrl, prefix: config.queuePrefix, config, logger });
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info("producer stopping", { signal });
    void producer
      .stop()
      .then(() => logger.close())
      .finally(() => process.exit(0));
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  try {
    await producer.start();
  } catch (err) {
    logger.error(`producer failed to start: ${errorMessage(err)}`);
    await producer.stop();
    await logger.close();
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`producer: ${errorMessage(err)}\n`);
  process.exit(1);
});
