// Events out end to end: the built worker-ab and worker-notify apps as child processes, a real
// local HTTP endpoint, real queues. A forced swap raises `champion.force_swapped`; the endpoint
// gets it signed, or answers 500, or never answers — and the A/B job that raised the event
// completes all the same. A job that fails for good (timed out) raises `job.failed`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "@mlq/core";
import { openMigrated } from "@mlq/db";
import { fillSlotWithAlpha, registerVersion, saveModelSet, syncRoleFiles } from "@mlq/registry";
import { verifyWebhook } from "@mlq/tasks";
import { E2eFixture, STAND_IN_MANIFEST, standInModels, waitFor } from "./support.js";

const SECRET = "e2e-webhook-secret-0123456789";
/** Waits until `cond` holds. */
const until = (what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number) =>
  waitFor(what, async () => ((await cond()) ? true : undefined), timeoutMs);

interface Hit {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A webhook endpoint: answers `status`, or never answers when `status` is "hang". */
async function endpoint(mode: number | "hang"): Promise<{ url: string; hits: Hit[]; close(): Promise<void> }> {
  const hits: Hit[] = [];
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      hits.push({ headers: req.headers, body });
      if (mode === "hang") open.add(res);
      else res.writeHead(mode).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/mlq`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe("events out", () => {
  let fx: E2eFixture;
  let hook: Awaited<ReturnType<typeof endpoint>> | undefined;
  beforeEach(() => {
    fx = new E2eFixture();
    // Champion 1, challenger 2: a forced swap makes 2 champion.
    for (const v of [1, 2]) saveModelSet(fx.modelsDir, v, { models: standInModels(v), manifest: STAND_IN_MANIFEST });
    const conn = openMigrated(fx.dbPath, { create: true });
    try {
      registerVersion(conn, fx.modelsDir, { version: "1", runId: 1, trigger: "scheduled", nowMs: Date.now() - 2 * 86_400_000 });
      registerVersion(conn, fx.modelsDir, { version: "2", runId: 2, trigger: "scheduled", nowMs: Date.now() - 86_400_000 });
      fillSlotWithAlpha(conn, { nowMs: Date.now() - 86_400_000, policy: { alpha: 0.05, budget: 0.25 } });
      syncRoleFiles(conn, fx.modelsDir, silentLogger);
    } finally {
      conn.close();
    }
  });
  afterEach(async () => {
    await fx.cleanup();
    await hook?.close();
    hook = undefined;
  });

  const notifyEnv = (url: string, extra: Record<string, string> = {}) => ({
    MLQ_NOTIFY_WEBHOOK_URL: url,
    MLQ_NOTIFY_SECRET: SECRET,
    MLQ_NOTIFY_ATTEMPTS: "3",
    MLQ_NOTIFY_BACKOFF_MS: "100",
    MLQ_NOTIFY_REQUEST_TIMEOUT_MS: "300",
    ...extra,
  });

  /** Forces the swap through worker-ab; returns the A/B job's id once it completed. */
  async function forceSwap(env: Record<string, string>): Promise<string> {
    const producer = fx.producer(env);
    const { jobId } = await producer.enqueue("ab-eval", { action: "force-swap" }, { requestedBy: "e2e" });
    const summary = (await producer.waitForJob("ab-eval", jobId, { timeoutMs: 60_000, pollMs: 100 })) as Record<string, unknown>;
    expect(summary).toMatchObject({ swapExecuted: true });
    return jobId;
  }

  it("delivers a forced swap to the endpoint as a signed JSON POST", async () => {
    hook = await endpoint(204);
    const env = notifyEnv(hook.url);
    await fx.startWorkers(["worker-ab", "worker-notify"], env);
    await forceSwap(env);
    await until("the webhook's POST", () => hook!.hits.length === 1, 30_000);
    const { headers, body } = hook.hits[0]!;
    expect(headers["content-type"]).toBe("application/json");
    const signed = {
      id: String(headers["webhook-id"]),
      timestamp: String(headers["webhook-timestamp"]),
      signature: String(headers["webhook-signature"]),
    };
    expect(verifyWebhook(SECRET, signed, body, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verifyWebhook("another-secret-0123456789", signed, body, Math.floor(Date.now() / 1000))).toBe(false);
    const event = JSON.parse(body) as { id: string; type: string; summary: string; data: Record<string, unknown> };
    expect(event).toMatchObject({
      id: signed.id,
      type: "champion.force_swapped",
      data: { event: "force_swap", version: "2", previousVersion: "1" },
    });
    expect(event.summary).toMatch(/^version 2 forced in as champion \(was 1\)/);
    const notify = fx.queue("notify");
    await until("the notify job to complete", async () => (await notify.getJobState(signed.id)) === "completed", 10_000);
    expect((await notify.getJob(signed.id))!.returnvalue).toMatchObject({ delivered: true, status: 204, type: "champion.force_swapped" });
  });

  it("an endpoint that answers 500: the A/B job completes, the event is retried with backoff and then fails on its own", async () => {
    hook = await endpoint(500);
    const env = notifyEnv(hook.url);
    await fx.startWorkers(["worker-ab", "worker-notify"], env);
    const abJobId = await forceSwap(env);
    const notify = fx.queue("notify");
    await until("the notify job to fail for good", async () => (await notify.getJobs(["failed"])).length === 1, 30_000);
    const [failed] = await notify.getJobs(["failed"]);
    expect(failed!.attemptsMade).toBe(3);
    expect(failed!.failedReason).toMatch(/^webhook http:\/\/127\.0\.0\.1:\d+ answered 500$/);
    // Three deliveries of one event: the same id, each signed afresh.
    expect(hook.hits).toHaveLength(3);
    expect(new Set(hook.hits.map((h) => h.headers["webhook-id"]))).toEqual(new Set([failed!.id]));
    expect(await fx.queue("ab-eval").getJobState(abJobId)).toBe("completed");
    // A failed delivery is not an event of its own.
    expect(await notify.getJobCounts("waiting", "delayed", "active")).toEqual({ waiting: 0, delayed: 0, active: 0 });
  });

  it("an endpoint that never answers: the A/B job has completed while its event is still being delivered", async () => {
    hook = await endpoint("hang");
    const env = notifyEnv(hook.url);
    await fx.startWorkers(["worker-ab", "worker-notify"], env);
    const abJobId = await forceSwap(env);
    const notify = fx.queue("notify");
    // Three attempts of 300 ms with backoffs of 100 and 200 ms between them: the event is still being
    // delivered (≥ 1.2 s after it was raised) when the A/B job that raised it has completed.
    expect(await notify.getJobCounts("failed", "completed")).toEqual({ failed: 0, completed: 0 });
    await until("the notify job to fail for good", async () => (await notify.getJobs(["failed"])).length === 1, 30_000);
    const [failed] = await notify.getJobs(["failed"]);
    expect(failed!.failedReason).toMatch(/no answer within 300 ms$/);
    expect(failed!.attemptsMade).toBe(3);
    expect(hook.hits).toHaveLength(3);
    const ab = (await fx.queue("ab-eval").getJob(abJobId))!;
    expect(await ab.getState()).toBe("completed");
    expect(ab.finishedOn!).toBeLessThan(failed!.finishedOn!);
  });

  it("a job that fails for good raises job.failed", async () => {
    hook = await endpoint(200);
    // A database file that is not one: the A/B job fails on its only attempt.
    const broken = join(fx.dir, "broken.db");
    writeFileSync(broken, "this is not an SQLite database, just text that is long enough to have a header");
    const env = notifyEnv(hook.url, { MLQ_DB_PATH: broken, MLQ_RETRY_ATTEMPTS: "1" });
    await fx.startWorkers(["worker-ab", "worker-notify"], env);
    const producer = fx.producer(env);
    const { jobId } = await producer.enqueue("ab-eval", { action: "dry-run" });
    await expect(producer.waitForJob("ab-eval", jobId, { timeoutMs: 30_000, pollMs: 100 })).rejects.toThrow(/broken\.db/);
    await until("the webhook's POST", () => hook!.hits.length === 1, 30_000);
    const event = JSON.parse(hook.hits[0]!.body) as { type: string; summary: string; data: Record<string, unknown> };
    expect(event).toMatchObject({ type: "job.failed", data: { queue: "ab-eval", jobId, attempt: 1, maxAttempts: 1 } });
    expect(event.summary).toMatch(new RegExp(`^ab-eval job ${jobId} failed for good \\(attempt 1 of 1\\): .*broken\\.db`));
  });
});
