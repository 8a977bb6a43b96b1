// "At most one retrain at a time across all workers": 4 producer processes (the built producer
// library) fire 5 concurrent forced retrain requests each, released at the same moment.
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EnqueueResult } from "@mlq/jobs";
import { CHILDREN_DIR, E2eFixture } from "./support.js";

const PROCESSES = 4;
const PER_PROCESS = 5;

describe("one retrain at a time across processes", () => {
  let fx: E2eFixture;
  beforeEach(() => {
    fx = new E2eFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it("queues exactly one retrain job for 20 concurrent forced requests from 4 processes, and every response names it", async () => {
    const children = Array.from({ length: PROCESSES }, (_, i) =>
      fx.spawnNode(`burst-${i}`, join(CHILDREN_DIR, "enqueue-burst.mjs"), [String(PER_PROCESS)], fx.env(), "pipe"),
    );
    await Promise.all(children.map((c) => c.waitForOutput(/^ready$/m, 60_000)));
    for (const c of children) c.child.stdin?.end("go\n");
    const exits = await Promise.all(children.map((c) => c.exited));
    expect(exits.map((e) => e.code), children.map((c) => c.output()).join("\n")).toEqual(Array(PROCESSES).fill(0));

    const responses = children.flatMap((c) => (JSON.parse(c.stdout().trim().split("\n").at(-1)!) as { results: EnqueueResult[] }).results);
    expect(responses).toHaveLength(PROCESSES * PER_PROCESS);
    const ids = new Set(responses.map((r) => r.jobId));
    expect(ids.size).toBe(1);
    const [jobId] = [...ids];
    expect(responses.filter((r) => !r.deduplicated)).toHaveLength(1);
    for (const r of responses.filter((x) => x.deduplicated)) expect(r.message).toContain(`job ${jobId}`);

    const queue = fx.queue("retrain");
    const live = await queue.getJobs(["waiting", "active", "delayed", "prioritized"]);
    expect(live.map((j) => j.id)).toEqual([jobId]);
    expect(live[0]!.data).toMatchObject({ trigger: "force" });
    expect(await queue.getJobCountByTypes("waiting", "active", "delayed", "prioritized", "completed", "failed")).toBe(1);
  });
});
