// Issue 18, operations: `mlq retrain` on a search that runs as a flow. While the retrain waits for
// its children the CLI prints how many candidates are done (and how many train or wait) on the
// train queue; the summary says where they trained.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { E2eFixture, appEntry, demoDb, sqlRows, type Spawned } from "./support.js";

const SEARCH_ENV = { MLQ_SEARCH_MAX_DEPTH: "2,3", MLQ_SEARCH_MIN_DSR: "0", MLQ_SEARCH_TRAINER: "auto", MLQ_IMPORTANCE_ROWS: "0" };

describe("mlq retrain with the search as a flow", () => {
  let fx: E2eFixture;
  beforeEach(() => {
    fx = new E2eFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  function trainWorker(host: string): Spawned {
    const env = fx.env({ ...SEARCH_ENV, ...fx.trainHostEnv(host) });
    return fx.spawnNode(`worker-train-${host}`, appEntry("worker-train"), [], env);
  }

  it("prints the children's progress while the retrain waits, then the trainer and the hosts", async () => {
    await demoDb(fx.dbPath);
    const hosts = [trainWorker("host-a"), trainWorker("host-b")];
    await Promise.all(hosts.map((h) => h.waitForOutput(/worker for queue train started/, 60_000)));
    await fx.startWorkers(["worker-retrain"], SEARCH_ENV);

    const r = await fx.cli(["retrain", "--force"], SEARCH_ENV, 300_000);
    expect(r.code, r.stderr).toBe(0);
    const progress = r.stderr.split("\n").filter((l) => l.startsWith("search: "));
    expect(progress.length, r.stderr).toBeGreaterThanOrEqual(2);
    for (const l of progress)
      expect(l).toMatch(/^search: \d+\/10 candidates done( \((\d+ (training|waiting|retrying|failed)(, )?)+\))? on the train queue$/);
    // It changes as children finish, and ends with all of them done.
    expect(progress.at(-1)).toBe("search: 10/10 candidates done on the train queue");
    expect(
      progress.some((l) => /\((\d+ training|\d+ waiting)/.test(l)),
      progress.join("\n"),
    ).toBe(true);
    expect(new Set(progress).size).toBe(progress.length);

    // The summary names the trainer and exactly the hosts recorded in retrain_trials.
    const trialHosts = sqlRows<{ host: string }>(fx.dbPath, "SELECT DISTINCT host FROM retrain_trials ORDER BY host").map((t) => t.host);
    expect(trialHosts.length).toBeGreaterThanOrEqual(1);
    expect(r.stdout).toContain(`search: trainer flow, host${trialHosts.length > 1 ? "s" : ""} ${trialHosts.join(", ")}\n`);
    expect(r.stdout).toMatch(/^retrain run #\d+ \(force\): trained$/m);
  }, 360_000);
});
