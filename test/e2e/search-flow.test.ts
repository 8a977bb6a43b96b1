// Issue 18: the retrain's hyperparameter search as a BullMQ flow across training hosts. The built
// worker-retrain fans a 2 × 5 search out as child jobs on the train queue; two worker-train
// processes (own MLQ_HOST_ID, own temp dir, no database and no models dir they could share) train
// them from the data the parent published to Redis (MLQ_SEARCH_TRAINER=auto finds them attached); the retrain waits in waiting-children, resumes,
// and registers exactly what the same search trains in one process.
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, openMigrated } from "@mlq/db";
import { listRetrainTrials, runRetrain, type RetrainSummary } from "@mlq/ml";
import { loadModelSet, readPointer } from "@mlq/registry";
import { E2eFixture, appEntry, demoDb, sqlRows, waitFor, type Spawned } from "./support.js";

const SEARCH_ENV = { MLQ_SEARCH_MAX_DEPTH: "2,3", MLQ_SEARCH_MIN_DSR: "0", MLQ_SEARCH_TRAINER: "auto", MLQ_IMPORTANCE_ROWS: "0" };

describe("hyperparameter search as a BullMQ flow", () => {
  let fx: E2eFixture;
  beforeEach(() => {
    fx = new E2eFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  /** A worker-train with its own host id and its own empty directory: nothing on disk in common with the retrain. */
  function trainWorker(host: string, extra: Record<string, string> = {}): Spawned {
    const env = fx.env({ ...fx.trainHostEnv(host), ...extra });
    return fx.spawnNode(`worker-train-${host}`, appEntry("worker-train"), [], env);
  }

  it("two worker-train hosts train a 2 × 5 search; the retrain waits for its children and registers what one process would", async () => {
    await demoDb(fx.dbPath);
    const local = join(fx.dir, "local.db");
    const src = openDatabase(fx.dbPath, { readonly: true });
    src.sqlite.prepare("VACUUM INTO ?").run(local);
    src.close();

    const hosts = [trainWorker("host-a"), trainWorker("host-b")];
    await Promise.all(hosts.map((h) => h.waitForOutput(/worker for queue train started/, 60_000)));
    await fx.startWorkers(["worker-retrain"], SEARCH_ENV);
    const { jobId } = await fx.producer(SEARCH_ENV).enqueue("retrain", { trigger: "force" });
    const queue = fx.queue("retrain");
    // The parent leaves the active list for waiting-children while its children train.
    await waitFor(
      "the retrain to wait for its children",
      async () => ((await (await queue.getJob(jobId))?.getState()) === "waiting-children" ? true : undefined),
      60_000,
    );
    const job = await waitFor(
      "the retrain to finish",
      async () => {
        const j = await queue.getJob(jobId);
        const state = await j?.getState();
        if (state === "failed") throw new Error(`retrain failed: ${j?.failedReason}`);
        return state === "completed" ? j : undefined;
      },
      240_000,
      200,
    );
    const summary = job!.returnvalue as RetrainSummary;
    expect(summary.outcome).toBe("trained");
    expect(summary.search?.trainer).toBe("flow");
    expect(summary.search?.candidates).toHaveLength(2);
    expect(summary.search?.hosts).toEqual(["host-a", "host-b"]);

    // One run row for the whole flow (the resumed pass kept it), closed done.
    const runs = sqlRows<{ id: number; status: string; job_id: string }>(fx.dbPath, "SELECT id, status, job_id FROM phase2_retrain_runs");
    expect(runs).toEqual([{ id: summary.runId, status: "done", job_id: jobId }]);

    // Ten trials, trained on both hosts, none on the retrain's own host.
    const conn = openMigrated(fx.dbPath);
    const trials = listRetrainTrials(conn, summary.runId);
    conn.close();
    expect(trials).toHaveLength(10);
    const byHost = new Map<string, number>();
    for (const t of trials) byHost.set(t.host, (byHost.get(t.host) ?? 0) + 1);
    expect([...byHost.keys()].sort()).toEqual(["host-a", "host-b"]);

    // The children and the data are gone from the train queue's point of view: completed, and no blob left.
    const train = fx.queue("train");
    expect(await train.getJobCountByTypes("waiting", "active", "delayed", "failed")).toBe(0);
    expect(await train.getJobCountByTypes("completed")).toBe(10);
    expect(await fx.redis.keys(`${fx.prefix}:blob:*`)).toEqual([]);
    // Each child's predictions went back as float32 (XGBoost's own precision), 4 bytes a row before base64.
    const children = await train.getJobs(["completed"]);
    const validationRows = summary.search!.inner.validationRows;
    for (const c of children) {
      const p = (c.returnvalue as { predictions: string }).predictions;
      expect(p.startsWith("f32:")).toBe(true);
      expect(p.length).toBe(4 + Math.ceil((validationRows * 4) / 3) * 4);
    }

    // The same search in one process, on a copy of the database at the same time: the same winners, the same model bytes.
    const localConn = openMigrated(local);
    const config = fx.config({
      ...SEARCH_ENV,
      MLQ_SEARCH_TRAINER: "local",
      MLQ_DB_PATH: local,
      MLQ_MODELS_DIR: join(fx.dir, "local-models"),
    });
    const nowMs = sqlRows<{ ts_ms: number }>(fx.dbPath, "SELECT ts_ms FROM phase2_retrain_runs")[0]!.ts_ms;
    const inProcess = await runRetrain({ conn: localConn, config, nowMs }, { trigger: "force" });
    localConn.close();
    expect(inProcess.search?.winners).toEqual(summary.search?.winners);
    expect(inProcess.metrics).toEqual(summary.metrics);
    const bytes = (modelsDir: string, s: RetrainSummary) =>
      Object.fromEntries(
        loadModelSet(modelsDir, { version: s.version!, versionDir: s.modelDir! } as never).models.map((m) => [
          m.name,
          Buffer.from(m.bytes).toString("base64"),
        ]),
      );
    expect(bytes(fx.modelsDir, summary)).toEqual(bytes(config.modelsDir, inProcess));
    expect(readPointer(fx.modelsDir, "v1_backtest")?.version).toBe(summary.version);
  }, 360_000);
});
