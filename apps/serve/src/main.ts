// Composition root: `node dist/main.js [--insecure-local]` starts the prediction service on
// MLQ_SERVE_HOST:MLQ_SERVE_PORT over MLQ_DB_PATH and MLQ_MODELS_DIR.
import { ConfigValidationError, loadConfig } from "@mlq/config";
import { errorMessage } from "@mlq/core";
import { openMigrated } from "@mlq/db";
import { createLogger } from "@mlq/logger";
import { createServe } from "./server.js";

async function main(argv: string[]): Promise<void> {
  const unknown = argv.filter((a) => a !== "--insecure-local");
  if (unknown.length) throw new Error(`unknown argument ${unknown[0]!} (usage: main.js [--insecure-local])`);
  const config = loadConfig();
  const logger = createLogger({ name: "serve", logsDir: config.logsDir, level: config.logLevel });
  const conn = openMigrated(config.dbPath);
  const serve = createServe({ config, conn, logger, insecureLocal: argv.includes("--insecure-local") });
  const running = await serve.listen();
  console.log(`mlq serve on ${running.url}`);
  const stop = (signal: string) => {
    logger.info("serve: shutting down", { signal });
    running
      .close()
      .then(() => conn.close())
      .then(
        () => logger.close().finally(() => process.exit(0)),
        () => process.exit(1),
      );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`mlq serve: ${err instanceof ConfigValidationError ? err.message : errorMessage(err)}`);
  process.exit(1);
});
