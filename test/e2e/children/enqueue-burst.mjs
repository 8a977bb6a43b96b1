// Child process of exclusive-retrain.test.ts: opens a producer (built app, env config), says
// "ready", waits for "go" on stdin, then fires N concurrent forced retrain requests and prints
// their results as one JSON line.
import { createInterface } from "node:readline";
import { loadConfig } from "@mlq/config";
import { silentLogger } from "@mlq/core";
import { createProducer } from "@mlq/jobs";

const config = loadConfig(process.env);
const count = Number(process.argv[2] ?? 5);
const producer = createProducer({ redisUrl: config.redisUrl, prefix: config.queuePrefix, config, logger: silentLogger });
await producer.queues.retrain.waitUntilReady();
process.stdout.write("ready\n");

const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line.trim() === "go") break;
lines.close();

const results = await Promise.all(
  Array.from({ length: count }, (_, i) => producer.enqueue("retrain", { trigger: "force" }, { requestedBy: `burst-${process.pid}-${i}` })),
);
process.stdout.write(JSON.stringify({ pid: process.pid, results }) + "\n");
await producer.stop();
