import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "@mlq/config";
import { openDatabase } from "@mlq/db";
import { generateDemoDatabase } from "@mlq/demo-data";
import { runSmoke } from "./smoke.js";

let dir: string;
let db: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mlq-smoke-test-"));
  db = join(dir, "demo.db");
  await generateDemoDatabase({ out: db, ticks: 200_000, days: 21, trades: 300, seed: 7, endMs: Date.UTC(2026, 10, 1), overwrite: true });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (over: Record<string, string>) => loadConfig({ MLQ_MODELS_DIR: join(dir, "models"), MLQ_LOGS_DIR: dir, ...over });

describe("runSmoke", () => {
  it("passes all six checks on a demo database and leaves the audit tables alone", async () => {
    const results = await runSmoke(config({ MLQ_DB_PATH: db }));
    expect(results.map((r) => r.name)).toEqual(["gates", "features + training", "A/B evaluation", "calibration", "database integrity", "file outputs"]);
    expect(results.filter((r) => !r.passed)).toEqual([]);
    const conn = openDatabase(db, { readonly: true });
    const count = (t: string) => (conn.sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    expect([count("phase2_retrain_runs"), count("phase2_gate_log"), count("ab_test_runs"), count("calibration_runs")]).toEqual([0, 0, 0, 0]);
    conn.close();
  }, 120_000);

  it("fails every check with the reason when the database is not SQLite", async () => {
    const bad = join(dir, "bad.db");
    writeFileSync(bad, "not a database ".repeat(100));
    const results = await runSmoke(config({ MLQ_DB_PATH: bad }));
    expect(results).toHaveLength(6);
    expect(results.every((r) => !r.passed && /not a SQLite database or corrupt/.test(r.detail))).toBe(true);
  });

  it("reports a bot table without a column mlq needs as a failed integrity check naming it", async () => {
    const partial = join(dir, "partial.db");
    await generateDemoDatabase({ out: partial, ticks: 50_000, days: 3, trades: 20, seed: 3, endMs: Date.UTC(2026, 10, 1), overwrite: true });
    const conn = openDatabase(partial);
    conn.sqlite.exec("ALTER TABLE paper_trades DROP COLUMN pnl_pct");
    conn.close();
    const results = await runSmoke(config({ MLQ_DB_PATH: partial }));
    const integrity = results.find((r) => r.name === "database integrity");
    expect(integrity?.passed).toBe(false);
    expect(integrity?.detail).toMatch(/^paper_trades lacks column\(s\) pnl_pct in .*partial\.db$/);
  }, 120_000);
});
