// The retrain's hyperparameter search on the 21-day demo database, in-process: a one-candidate space is
// today's retrain byte for byte, every candidate becomes a retrain_trials row, each model's winner is
// refit on the whole outer training part, and a winner the DSR does not trust is saved but not registered.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "@mlq/config";
import { openDatabase, openMigrated, type Connection } from "@mlq/db";
import { generateDemoDatabase } from "@mlq/demo-data";
import { listRetrainTrials, MODEL_NAMES, RETRAIN_STAGES, runRetrain, type RetrainSummary } from "@mlq/ml";
import { listVersions, loadModelSet, readPointer } from "@mlq/registry";

let dir: string;
let demoDb: string;
const END = Date.UTC(2026, 10, 1);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mlq-search-"));
  demoDb = join(dir, "demo.db");
  await generateDemoDatabase({ out: demoDb, ticks: 300_000, days: 21, trades: 300, seed: 5, endMs: END, overwrite: true });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(name: string, env: Record<string, string> = {}): { conn: Connection; config: Config } {
  const target = join(dir, `${name}.db`);
  const src = openDatabase(demoDb, { readonly: true });
  src.sqlite.prepare("VACUUM INTO ?").run(target);
  src.close();
  const config = loadConfig({
    MLQ_MODELS_DIR: join(dir, name, "models"),
    MLQ_XGB_ROUNDS: "5",
    MLQ_TRAIN_THREADS: "2",
    MLQ_IMPORTANCE_ROWS: "0",
    ...env,
  });
  return { conn: openMigrated(target), config };
}

function modelBytes(config: Config, s: RetrainSummary): Record<string, string> {
  const set = loadModelSet(config.modelsDir, { version: s.version!, versionDir: s.modelDir! } as never);
  return Object.fromEntries(set.models.map((m) => [m.name, Buffer.from(m.bytes).toString("base64")]));
}

describe("hyperparameter search in the retrain", () => {
  it("a one-candidate space (MLQ_SEARCH_MIN_DSR=0) trains exactly what the retrain without a search trains", async () => {
    const a = setup("one-candidate", { MLQ_SEARCH_MIN_DSR: "0" });
    const b = setup("no-search");
    const withSearch = await runRetrain({ ...a, nowMs: END }, { trigger: "force" });
    const without = await runRetrain(
      { ...b, nowMs: END },
      { trigger: "force" },
      RETRAIN_STAGES.filter((s) => s.name !== "search"),
    );
    expect(withSearch.outcome).toBe("trained");
    expect(withSearch.metrics).toEqual(without.metrics);
    expect(modelBytes(a.config, withSearch)).toEqual(modelBytes(b.config, without));
    expect(withSearch.registered?.role).toBe("champion");
    const trials = listRetrainTrials(a.conn, withSearch.runId);
    expect(trials.map((t) => [t.model, t.candidate, t.selected])).toEqual([...MODEL_NAMES].sort().map((m) => [m, 0, true]));
    // One trial: nothing to deflate for (SR0 = 0, N_eff = 1); the DSR is the PSR against 0.
    expect(withSearch.search?.deflated).toMatchObject({ trials: 1, effectiveTrials: 1, expectedMaxSharpe: 0 });
    expect(withSearch.search?.inner.validationRows).toBeGreaterThan(0);
    a.conn.close();
    b.conn.close();
  });

  it("records every (model × candidate), refits each model's winner on the whole outer training part, deflates with N = candidates", async () => {
    const { conn, config } = setup("grid", { MLQ_SEARCH_MAX_DEPTH: "2,3,5", MLQ_SEARCH_MIN_DSR: "0" });
    const s = await runRetrain({ conn, config, nowMs: END }, { trigger: "force" });
    expect(s.outcome).toBe("trained");
    const trials = listRetrainTrials(conn, s.runId);
    expect(trials).toHaveLength(15);
    expect(s.search?.deflated.trials).toBe(3);
    expect(s.search?.deflated.effectiveTrials).toBeGreaterThanOrEqual(1);
    expect(s.search?.deflated.effectiveTrials).toBeLessThanOrEqual(3);
    expect(s.message).toMatch(/search: 3 candidates, direction winner #\d DSR /);
    for (const model of MODEL_NAMES) {
      const rows = trials.filter((t) => t.model === model);
      expect(rows.filter((t) => t.selected)).toHaveLength(1);
      const winner = rows.find((t) => t.selected)!;
      const scores = rows.map((t) => t.score!).filter((x) => x !== null);
      // Direction: the highest validation Sharpe; regressions: the lowest RMSE.
      expect(winner.score).toBe(model === "direction" ? Math.max(...scores) : Math.min(...scores));
      expect(winner.params).toEqual(s.search!.winners[model].params);
      expect(winner.seconds).toBeGreaterThan(0);
      expect(winner.host.length).toBeGreaterThan(0);
    }
    expect(trials.find((t) => t.model === "direction")!.scores).toMatchObject({
      auc: expect.any(Number),
      bars: s.search!.inner.validationRows,
    });
    // The refit of a model's winner = a one-candidate retrain with the winner's parameters.
    const bytes = modelBytes(config, s);
    const manifest = loadModelSet(config.modelsDir, { version: s.version!, versionDir: s.modelDir! } as never).manifest as Record<
      string,
      unknown
    >;
    expect(manifest.search).toMatchObject({ candidates: 3, passed: true, deflated: { trials: 3 } });
    // The card's hyperparameters: the direction winner's on top, the search's DSR beside them.
    const params = manifest.params as Record<string, unknown>;
    expect(params).toMatchObject({ ...s.search!.winners.direction.params, search: { candidates: 3, directionDsr: s.search!.deflated.dsr, passed: true } });
    for (const depth of new Set(MODEL_NAMES.map((m) => s.search!.winners[m].params.maxDepth))) {
      const alone = setup(`alone-${depth}`, { MLQ_XGB_MAX_DEPTH: String(depth) });
      const r = await runRetrain({ ...alone, nowMs: END }, { trigger: "force" });
      const aloneBytes = modelBytes(alone.config, r);
      for (const m of MODEL_NAMES.filter((m) => s.search!.winners[m].params.maxDepth === depth)) expect(bytes[m]).toBe(aloneBytes[m]);
      alone.conn.close();
    }
    conn.close();
  });

  it("a winner whose DSR is below MLQ_SEARCH_MIN_DSR is saved but not registered, and the run says so", async () => {
    const { conn, config } = setup("blocked", { MLQ_SEARCH_MAX_DEPTH: "2,3,5", MLQ_SEARCH_MIN_DSR: "1" });
    const s = await runRetrain({ conn, config, nowMs: END }, { trigger: "force" });
    expect(s).toMatchObject({ outcome: "trained", success: true });
    expect(s.registered).toBeUndefined();
    expect(s.search?.passed).toBe(false);
    expect(s.message).toMatch(
      /not registered: the direction winner's DSR (\d\.\d{3} is below MLQ_SEARCH_MIN_DSR 1|is undefined) \(force run\)$/,
    );
    expect(listVersions(config.modelsDir).map((v) => v.version)).toContain(s.version);
    expect(readPointer(config.modelsDir, "v1_backtest")).toBeNull();
    expect(readPointer(config.modelsDir, "candidate")).toBeNull();
    expect(conn.sqlite.prepare("SELECT count(*) AS n FROM model_role_events").get()).toEqual({ n: 0 });
    conn.close();
  });
  it("a training part too small for the inner split: one candidate trains the configured parameters, a real search ends as insufficient data", async () => {
    // An inner train fraction of 0.95 leaves the inner validation part shorter than its embargo.
    const one = setup("no-inner-one", { MLQ_SEARCH_INNER_TRAIN_FRACTION: "0.95" });
    const s = await runRetrain({ ...one, nowMs: END }, { trigger: "force" });
    expect(s.outcome).toBe("trained");
    expect(s.search).toBeUndefined();
    expect(listRetrainTrials(one.conn, s.runId)).toEqual([]);
    expect(s.registered?.role).toBe("champion");
    const two = setup("no-inner-two", { MLQ_SEARCH_INNER_TRAIN_FRACTION: "0.95", MLQ_SEARCH_MAX_DEPTH: "3,4" });
    const t = await runRetrain({ ...two, nowMs: END }, { trigger: "force" });
    expect(t.outcome).toBe("insufficient-data");
    expect(t.message).toMatch(/inner split/);
    one.conn.close();
    two.conn.close();
  });
});
