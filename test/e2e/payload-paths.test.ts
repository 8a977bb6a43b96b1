// Job payloads choose no files (SPEC §1, issue 13.1): a dashboard admin's "add job" naming a path
// is refused at once, a job that carries one past the dashboard fails on its first attempt before
// any work, and the CLI without --local refuses a --db / --out other than the configured one.
import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PayloadError } from "@mlq/jobs";
import { E2eFixture, appEntry, demoDb, sqlRows, waitFor } from "./support.js";

const ADMIN_TOKEN = "e2e-admin-token-0123456789";
const OUT_PATH_REFUSED = "invalid calibrate payload: outPath is not accepted in job payloads: workers use their configured calibration file (MLQ_CALIBRATION_PATH)";
const dbPathRefused = (queue: string) => `invalid ${queue} payload: dbPath is not accepted in job payloads: workers use their configured database (MLQ_DB_PATH)`;

describe("no file paths through jobs", () => {
  let fx: E2eFixture;
  beforeEach(() => {
    fx = new E2eFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  async function failedJob(queue: "calibrate" | "ab-eval" | "retrain", jobId: string) {
    const q = fx.queue(queue);
    return waitFor(`${jobId} to fail`, async () => {
      const j = await q.getJob(jobId);
      return j && (await j.getState()) === "failed" ? await q.getJob(jobId) : undefined;
    });
  }

  it("refuses a dashboard add-job on calibrate with an outPath, and a job carrying one past the dashboard fails at once writing no file", async () => {
    await demoDb(fx.dbPath); // a database the calibration would succeed on, had the job run
    const owned = join(fx.dir, "x", "owned.json");
    await fx.startWorkers(["worker-calibrate"]);
    const dash = fx.spawnNode("dashboard", appEntry("dashboard"), [], fx.env({ MLQ_DASHBOARD_PORT: "0", MLQ_DASHBOARD_TOKEN: ADMIN_TOKEN }));
    await dash.waitForOutput(/mlq dashboard on http:\/\/\S+/, 60_000);
    const url = /mlq dashboard on (http:\/\/\S+)/.exec(dash.output())![1]!.replace(/\/$/, "");

    // As an admin would in Bull Board's "add job".
    const res = await fetch(`${url}/queues/api/queues/calibrate/add`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "calibrate", data: { outPath: owned } }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe(OUT_PATH_REFUSED);
    expect(await fx.queue("calibrate").getJobCountByTypes("waiting", "active", "delayed", "completed", "failed")).toBe(0);

    // The same payload put on the queue behind the dashboard's back (an old client, raw BullMQ).
    await fx.queue("calibrate").add("calibrate", { outPath: owned }, { jobId: "cal-owned", attempts: 3, backoff: { type: "fixed", delay: 100 } });
    const job = await failedJob("calibrate", "cal-owned");
    expect(job).toMatchObject({ attemptsMade: 1, failedReason: OUT_PATH_REFUSED });
    expect(await fx.queue("calibrate").getJobCounts("waiting", "delayed", "active")).toEqual({ waiting: 0, delayed: 0, active: 0 });
    expect(existsSync(owned)).toBe(false);
    expect(existsSync(join(fx.dir, "x"))).toBe(false);
    expect(existsSync(fx.calibrationPath)).toBe(false); // it did not run at all, not even on its own file
    expect(sqlRows(fx.dbPath, "SELECT count(*) AS n FROM calibration_runs")).toEqual([{ n: 0 }]);
  });

  it("rejects a payload with a dbPath before the job runs: the named file is neither opened for work nor migrated", async () => {
    const other = join(fx.dir, "someone-else.db");
    const db = new Database(other);
    db.exec("CREATE TABLE notes (x TEXT)");
    db.close();
    await fx.startWorkers(["worker-ab"]);
    const producer = fx.producer();

    // Through the producer (CLI, dashboard): refused before anything reaches Redis.
    const err = await producer.enqueue("retrain", { trigger: "force", dbPath: other }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadError);
    expect((err as Error).message).toBe(dbPathRefused("retrain"));
    expect(await fx.queue("retrain").getJobCountByTypes("waiting", "delayed", "active")).toBe(0);

    // Straight onto the queue: the worker fails it on the first attempt without running it.
    await fx.queue("ab-eval").add("ab-eval", { action: "evaluate", dbPath: other }, { jobId: "ab-other", attempts: 3, backoff: { type: "fixed", delay: 100 } });
    const job = await failedJob("ab-eval", "ab-other");
    expect(job).toMatchObject({ attemptsMade: 1, failedReason: dbPathRefused("ab-eval") });
    expect(sqlRows(other, "SELECT name FROM sqlite_master ORDER BY name")).toEqual([{ name: "notes" }]);
    expect(existsSync(fx.dbPath)).toBe(false); // nor was the configured one touched for a rejected job
  });

  it("CLI without --local refuses a --db or --out that is not the configured one (exit 2), and accepts the configured one", async () => {
    const other = join(fx.dir, "other.db");
    const refusals: [string[], RegExp][] = [
      [["retrain", "--force", "--db", other], /^mlq: --db \S+other\.db: workers use their configured database \(\S+trading\.db\); run with --local for another file$/],
      [["ab", "--dry-run", "--db", other, "--no-wait"], /^mlq: --db \S+other\.db: workers use their configured database \(\S+trading\.db\); run with --local for another file$/],
      [["calibrate", "--out", join(fx.dir, "x.json")], /^mlq: --out \S+x\.json: workers use their configured calibration file \(\S+execution_calibration\.json\); run with --local for another file$/],
    ];
    for (const [args, message] of refusals) {
      const r = await fx.cli(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stdout).toBe("");
    }
    expect(existsSync(other)).toBe(false);

    // The configured file itself is fine: queued (no worker here), with no path in the payload.
    const ok = await fx.cli(["calibrate", "--db", fx.dbPath, "--out", fx.calibrationPath, "--no-wait", "--json"]);
    expect(ok.code, ok.stderr).toBe(0);
    const { jobId } = JSON.parse(ok.stdout) as { jobId: string };
    const queued = await fx.queue("calibrate").getJob(jobId);
    expect(queued?.data).toEqual({ requestedBy: expect.stringMatching(/^cli:/) });
  });
});
