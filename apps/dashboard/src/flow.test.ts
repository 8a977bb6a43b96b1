// Issue 18: the retrain's search as a flow, as the dashboard shows it. Bull Board draws a retrain
// waiting for its children on the train queue as one tree; /metrics counts the children by state,
// the retrains waiting for them and the worker-train processes attached.
import { FlowProducer, Queue, Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "@mlq/config";
import { createDashboard, type RunningDashboard } from "./dashboard.js";
import { createFixture, deleteRedisPrefix, testPrefix, type Fixture } from "./fixtures.test-util.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const TOKEN = "admin-token-abcdefghijkl";
const connection = { host: "127.0.0.1", port: 6379, maxRetriesPerRequest: null };
const prefix = testPrefix();
let fixture: Fixture;
let running: RunningDashboard;
let flows: FlowProducer;
let worker: Worker;
let parentId: string;

beforeAll(async () => {
  fixture = createFixture({ tradesPerArm: 1 });
  const config = loadConfig({}, { MLQ_QUEUE_PREFIX: prefix, REDIS_URL, MLQ_DASHBOARD_TOKEN: TOKEN });
  running = await (await createDashboard({ config, dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, port: 0 })).listen();
  // A retrain with four search candidates as children on the train queue, the way the retrain worker adds them.
  flows = new FlowProducer({ connection, prefix });
  const tree = await flows.add({
    name: "retrain",
    queueName: "retrain",
    data: { trigger: "force" },
    opts: { jobId: "retrain-flow-1" },
    children: [0, 1, 2, 3].map((i) => ({
      name: "train",
      queueName: "train",
      data: { candidate: i },
      opts: { jobId: `retrain-flow-1-r1-direction-${i}` },
    })),
  });
  parentId = tree.job.id!;
  // One worker-train takes one child (active) and completes another.
  worker = new Worker("train", null, { connection, prefix });
  const first = await worker.getNextJob("t1");
  await first!.moveToCompleted({ host: "host-a" }, "t1", false);
  await worker.getNextJob("t2");
});

afterAll(async () => {
  await worker?.close(true);
  await flows?.close();
  await running?.close();
  await deleteRedisPrefix(REDIS_URL, prefix);
  fixture?.cleanup();
});

const get = (path: string) => fetch(`${running.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });

describe("the search as a flow on the dashboard", () => {
  it("/metrics counts the train queue's children by state, the retrain waiting for them, and the attached worker-train", async () => {
    const text = await (await get("/metrics")).text();
    const child = (state: string) => `mlq_search_children{job="${parentId}",state="${state}"}`;
    expect(text).toContain(`${child("completed")} 1`);
    expect(text).toContain(`${child("active")} 1`);
    expect(text).toContain(`${child("waiting")} 2`);
    expect(text).toContain(`${child("failed")} 0`);
    expect(text).toContain(`${child("delayed")} 0`);
    // The per-queue gauges cover the train queue (all children of all retrains) and the waiting parent.
    expect(text).toContain('mlq_queue_jobs{queue="train",state="waiting"} 2');
    expect(text).toContain('mlq_queue_jobs{queue="train",state="active"} 1');
    expect(text).toContain('mlq_queue_jobs{queue="train",state="completed"} 1');
    expect(text).toContain('mlq_queue_jobs{queue="retrain",state="waiting-children"} 1');
    expect(text).toContain('mlq_queue_workers{queue="train"} 1');
    expect(text).toContain('mlq_queue_workers{queue="retrain"} 0');
  });

  it("Bull Board lists the train queue and draws the retrain and its children as one tree", async () => {
    const queues = (await (await get("/queues/api/queues")).json()) as { queues: { name: string }[] };
    expect(queues.queues.map((q) => q.name)).toContain("train");
    expect(queues.queues.map((q) => q.name)).toContain("retrain");
    // From any child, the flow view finds the root on the retrain queue.
    const res = await get(`/queues/api/queues/train/${encodeURIComponent("retrain-flow-1-r1-direction-3")}/flow`);
    expect(res.status).toBe(200);
    const flow = (await res.json()) as {
      isFlowNode: boolean;
      flowRoot: {
        id: string;
        queueName: string;
        state: string;
        dependencies?: Record<string, number>;
        children: { id: string; queueName: string; state: string }[];
      };
    };
    expect(flow.isFlowNode).toBe(true);
    expect(flow.flowRoot).toMatchObject({
      id: parentId,
      queueName: "retrain",
      state: "waiting-children",
      dependencies: { processed: 1, unprocessed: 3 },
    });
    expect(flow.flowRoot.children.map((c) => c.queueName)).toEqual(["train", "train", "train", "train"]);
    expect(flow.flowRoot.children.map((c) => c.state).sort()).toEqual(["active", "completed", "waiting", "waiting"]);
  });

  it("refuses to remove a retrain's children (the retrain would add them again): cancel it instead", async () => {
    const config = loadConfig(
      {},
      { MLQ_QUEUE_PREFIX: prefix, REDIS_URL, MLQ_DASHBOARD_TOKEN: TOKEN, MLQ_DASHBOARD_READONLY_TOKEN: "viewer-token-abcdefghijk" },
    );
    const both = await (await createDashboard({ config, dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, port: 0 })).listen();
    const remove = (token: string) =>
      fetch(`${both.url}/queues/api/queues/retrain/${parentId}/remove-unprocessed-children`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, origin: both.url },
      });
    try {
      expect((await remove("viewer-token-abcdefghijk")).status).toBe(403);
      const admin = await remove(TOKEN);
      expect(admin.status).toBe(409);
      expect(((await admin.json()) as { message: string }).message).toContain(`run \`mlq cancel ${parentId}\``);
      const q = new Queue("train", { connection, prefix });
      expect(await q.getJobCountByTypes("waiting", "active")).toBe(3);
      await q.close();
    } finally {
      await both.close();
    }
  });
});
