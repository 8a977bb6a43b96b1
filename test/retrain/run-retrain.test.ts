// runRetrain in-process on real SQLite files: every outcome writes exactly one run row that
// tells the truth, and nothing but a completed training moves a model pointer.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "@mlq/config";
import { AbortedError, InputDataError, OutputError } from "@mlq/core";
import { openDatabase, openMigrated, type Connection } from "@mlq/db";
import { generateDemoDatabase } from "@mlq/demo-data";
import { runRetrain } from "@mlq/ml";
import { listVersions, loadModelSet, readPointer } from "@mlq/registry";

const ML_PACKAGE_VERSION = (JSON.parse(readFileSync(new URL("../../packages/ml/package.json", import.meta.url), "utf8")) as { version: string }).version;

let dir: string;
let demoDb: string;
const END = Date.UTC(2026, 10, 1);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mlq-retrain-"));
  demoDb = join(dir, "demo.db");
  await generateDemoDatabase({ out: demoDb, ticks: 300_000, days: 21, trades: 300, seed: 5, endMs: END, overwrite: true });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFor(name: string, extra: Record<string, string> = {}): Config {
  return loadConfig({ MLQ_MODELS_DIR: join(dir, name, "models"), MLQ_XGB_ROUNDS: "5", MLQ_TRAIN_THREADS: "2", ...extra });
}

function copyDb(name: string): Connection {
  const target = join(dir, `${name}.db`);
  const src = openDatabase(demoDb, { readonly: true });
  src.sqlite.prepare("VACUUM INTO ?").run(target);
  src.close();
  return openMigrated(target);
}

const runs = (conn: Connection) =>
  conn.sqlite.prepare("SELECT id, job_id, trigger_reason, success, status, error_msg, models_trained, gate_pass, slippage_mult, embargo_hours, vol_percentile_lo, vol_percentile_hi FROM phase2_retrain_runs ORDER BY id").all() as Record<string, unknown>[];

describe("runRetrain", () => {
  it("trains five models, makes the first set champion and v1_backtest, and records one successful run", async () => {
    const conn = copyDb("force");
    const config = configFor("force");
    const stages: string[] = [];
    const s = await runRetrain({ conn, config, nowMs: END, jobId: "job-1", progress: (p) => stages.push(p.stage) }, { trigger: "force" });
    expect(s.outcome).toBe("trained");
    expect(s.gates.map((g) => g.name)).toEqual(["paper_age", "trade_count", "regime_diversity"]);
    expect(s.v1BacktestEstablished).toBe(true);
    expect(Object.keys(s.metrics ?? {})).toEqual(["direction", "risk", "price", "momentum", "volatility"]);
    expect(s.embargoHours).toBeGreaterThanOrEqual(24);
    expect(stages).toEqual(expect.arrayContaining(["candles", "gates", "features", "train", "save", "done"]));
    const [row] = runs(conn);
    expect(row).toMatchObject({ job_id: "job-1", trigger_reason: "force", success: 1, status: "done", models_trained: 5, error_msg: null });
    expect(row!.vol_percentile_lo).toBeLessThan(row!.vol_percentile_hi as number);
    expect(s.registered).toEqual({ role: "champion", alpha: null, skipped: [] });
    expect(readPointer(config.modelsDir, "v2_paper")).toBeNull(); // nothing under evaluation yet
    const baseline = readPointer(config.modelsDir, "v1_backtest");
    expect(baseline?.version).toBe(s.version);
    const saved = loadModelSet(config.modelsDir, baseline!);
    expect(saved.models).toHaveLength(5);
    // The manifest names the trainer, @mlq/ml at its package.json version, not the registry.
    expect(saved.manifest.code_version).toMatchObject({ package: "@mlq/ml", package_version: ML_PACKAGE_VERSION });
    expect(readPointer(config.modelsDir, "v1_backtest")?.version).toBe(s.version);
    const gateRows = conn.sqlite.prepare("SELECT count(*) AS n FROM phase2_gate_log WHERE run_id = ?").get(s.runId) as { n: number };
    expect(gateRows.n).toBe(3);

    expect(JSON.parse(readFileSync(join(config.modelsDir, "active_model.json"), "utf8"))).toMatchObject({ version: s.version });
    // A second run is a candidate that takes the free evaluation slot: v2_paper names it; v1_backtest stays.
    const s2 = await runRetrain({ conn, config, nowMs: END + 1000 }, { trigger: "force" });
    expect(s2.registered).toEqual({ role: "challenger", alpha: 0.05, skipped: [] });
    expect(s2.message).toMatch(/took the evaluation slot as challenger \(v2_paper, α_k 0.05; force run\)$/);
    expect(readPointer(config.modelsDir, "v2_paper")?.version).toBe(s2.version);
    expect(readPointer(config.modelsDir, "v1_backtest")?.version).toBe(s.version);
    // A third waits as candidate while the slot is held.
    const s3 = await runRetrain({ conn, config, nowMs: END + 2000 }, { trigger: "force" });
    expect(s3.registered?.role).toBe("candidate");
    expect(readPointer(config.modelsDir, "candidate")?.version).toBe(s3.version);
    expect(readPointer(config.modelsDir, "v2_paper")?.version).toBe(s2.version);
    // A smoke run saves its set for inspection but never registers it.
    const s4 = await runRetrain({ conn, config, nowMs: END + 3000 }, { trigger: "smoke" });
    expect(s4.outcome).toBe("trained");
    expect(s4.registered).toBeUndefined();
    expect(s4.message).toMatch(/saved, not registered \(smoke run\)$/);
    const registered = conn.sqlite.prepare("SELECT version FROM model_role_events WHERE event = 'register' ORDER BY id").all() as { version: string }[];
    expect(registered.map((r) => r.version)).toEqual([s.version, s2.version, s3.version]);
    expect(readPointer(config.modelsDir, "candidate")?.version).toBe(s3.version);
    conn.close();
  }, 120_000);

  it("records a gate failure as a result: no training, no pointer, success 0 with the reason", async () => {
    const conn = copyDb("gates");
    const config = configFor("gates", { MLQ_GATE_MIN_TRADES: "100000" });
    const s = await runRetrain({ conn, config, nowMs: END }, { trigger: "scheduled" });
    expect(s.outcome).toBe("gates-failed");
    expect(s.message).toMatch(/^gates not passed: trade_count/);
    expect(runs(conn)[0]).toMatchObject({ success: 0, status: "done", gate_pass: 0, models_trained: 0 });
    expect(readPointer(config.modelsDir, "v2_paper")).toBeNull();
    conn.close();
  }, 60_000);

  it("dry-run evaluates and logs the gates but writes no models", async () => {
    const conn = copyDb("dry");
    const config = configFor("dry");
    const s = await runRetrain({ conn, config, nowMs: END }, { trigger: "dry-run" });
    expect(s.outcome).toBe("dry-run");
    expect(s.candles?.coverage.length).toBe(2);
    expect(runs(conn)[0]).toMatchObject({ trigger_reason: "dry-run", success: 1, models_trained: 0 });
    expect(listVersions(config.modelsDir)).toEqual([]);
    conn.close();
  }, 60_000);

  it("reports too little data as 'insufficient data', not a crash", async () => {
    const small = join(dir, "small.db");
    await generateDemoDatabase({ out: small, ticks: 20_000, days: 2, trades: 100, seed: 9, endMs: END, overwrite: true });
    const conn = openMigrated(small);
    const s = await runRetrain({ conn, config: configFor("small"), nowMs: END }, { trigger: "force" });
    expect(s.outcome).toBe("insufficient-data");
    expect(s.message).toMatch(/^insufficient data/);
    expect(runs(conn)[0]).toMatchObject({ success: 0, status: "done" });
    conn.close();
  }, 60_000);

  it("fails before training when the models dir cannot be written, and records the error", async () => {
    const conn = copyDb("ro");
    const blocker = join(dir, "ro-file");
    writeFileSync(blocker, "a file where the models dir should be");
    const config = loadConfig({ MLQ_MODELS_DIR: join(blocker, "models"), MLQ_XGB_ROUNDS: "5" });
    const err = await runRetrain({ conn, config, nowMs: END }, { trigger: "force" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputError);
    const [row] = runs(conn);
    expect(row).toMatchObject({ success: 0, status: "failed" });
    expect(String(row!.error_msg)).toContain("ro-file");
    chmodSync(blocker, 0o644);
    conn.close();
  });

  it("records a missing ticks table as a failed run naming the table and file", async () => {
    const bare = join(dir, "bare.db");
    const conn = openMigrated(bare, { create: true });
    conn.sqlite.exec("DROP TABLE ticks");
    const err = await runRetrain({ conn, config: configFor("bare"), nowMs: END }, { trigger: "scheduled" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputDataError);
    expect((err as Error).message).toBe(`ticks table missing in ${bare}`);
    expect(runs(conn)[0]).toMatchObject({ success: 0, status: "failed", error_msg: `ticks table missing in ${bare}` });
    conn.close();
  });

  it("stops on an aborted signal without promoting anything, and closes a dead attempt's row", async () => {
    const conn = copyDb("abort");
    const config = configFor("abort");
    conn.sqlite
      .prepare("INSERT INTO phase2_retrain_runs (ts_ms, ts_iso, job_id, trigger_reason, success, status) VALUES (?, 'x', 'job-9', 'force', 0, 'running')")
      .run(END - 1000);
    const controller = new AbortController();
    const err = await runRetrain(
      {
        conn,
        config,
        nowMs: END,
        jobId: "job-9",
        signal: controller.signal,
        progress: (p) => {
          if (p.stage === "features") controller.abort(new Error("cancelled by operator"));
        },
      },
      { trigger: "force" },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    const rows = runs(conn);
    expect(rows[0]).toMatchObject({ status: "failed", error_msg: expect.stringMatching(/^attempt interrupted/) });
    expect(rows[1]).toMatchObject({ status: "failed", success: 0, error_msg: "cancelled by operator" });
    expect(readPointer(config.modelsDir, "v2_paper")).toBeNull();
    conn.close();
  }, 60_000);
});
