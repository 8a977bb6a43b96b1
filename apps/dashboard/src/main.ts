// Composition root: `node dist/main.js [--insecure-local]` starts the dashboard;
// `node dist/main.js hash-password` reads a password on stdin and prints its scrypt hash.
import { ConfigValidationError, loadConfig } from "@mlq/config";
import { errorMessage, type Logger } from "@mlq/core";
import { createProducer, parsePayload } from "@mlq/jobs";
import { hashPassword } from "./auth.js";
import { createDashboard } from "./dashboard.js";

const consoleLogger: Logger = {
  debug: () => undefined,
  info: (msg, fields) => console.log(JSON.stringify({ level: "info", msg, ...fields })),
  warn: (msg, fields) => console.warn(JSON.stringify({ level: "warn", msg, ...fields })),
  error: (msg, fields) => console.error(JSON.stringify({ level: "error", msg, ...fields })),
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === "hash-password") {
    console.log(await hashPassword(await readStdin()));
    return;
  }
  const unknown = argv.filter((a) => a !== "--insecure-local");
  if (unknown.length) throw new Error(`unknown argument ${unknown[0]!} (usage: main.js [--insecure-local] | hash-password)`);
  const config = loadConfig();
  // Forced retrains from "add job" go through the producer's one-at-a-time rule.
  const producer = createProducer({ redisUrl: config.redisUrl, prefix: config.queuePrefix, config, logger: consoleLogger });
  const dashboard = await createDashboard({
    config,
    logger: consoleLogger,
    insecureLocal: argv.includes("--insecure-local"),
    validatePayload: (queue, data) => parsePayload(queue, data),
    enqueue: (queue, payload) => producer.enqueue(queue, payload, { requestedBy: "dashboard" }),
  });
  const running = await dashboard.listen();
  console.log(`mlq dashboard on ${running.url}`);
  const stop = (signal: string) => {
    consoleLogger.info("dashboard: shutting down", { signal });
    Promise.all([running.close(), producer.stop()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // A configuration error lists every bad variable, one per line; anything else is one line.
  console.error(`mlq dashboard: ${err instanceof ConfigValidationError ? err.message : errorMessage(err)}`);
  process.exit(1);
});
