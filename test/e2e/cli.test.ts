// The built `mlq` command as an operator meets it: exit codes (2 = usage, 1 = failure), one-line
// errors without stack traces unless --verbose, masked Redis URLs, JSON that parses, and a
// migrate that leaves the bot's own rows alone.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { E2eFixture, demoDb, sqlRows, type CliResult } from "./support.js";

const STACK_LINE = /^\s{4}at /m;

function lines(s: string): string[] {
  return s.trim().split("\n").filter((l) => l.length > 0);
}

/** The failure is exactly one `mlq: ...` line on stderr and nothing on stdout. */
function expectOneLineFailure(r: CliResult, code: number, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(lines(r.stderr)).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe("");
}

describe("mlq CLI", () => {
  let fx: E2eFixture;
  beforeEach(() => {
    fx = new E2eFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it("exits 2 on an unknown flag with one error line naming it (plus the usage hint)", async () => {
    const r = await fx.cli(["retrain", "--frobnicate"]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(["error: unknown option '--frobnicate'", "(run with --help for usage)"]);
    expect(r.stdout).toBe("");
  });

  it("exits 2 when mlq up --train-workers is not an integer from 0 to 256, before touching Redis", async () => {
    for (const bad of ["-1", "two", "1.5", "300"]) {
      const r = await fx.cli(["up", "--train-workers", bad], { REDIS_URL: "redis://127.0.0.1:1" });
      expectOneLineFailure(r, 2, new RegExp(`^mlq: --train-workers expects an integer from 0 to 256, got "${bad.replace(".", "\\.")}"$`, "m"));
    }
  });

  it("exits 1 with 'database path is a directory' when --db names a directory", async () => {
    const dir = join(fx.dir, "a-directory");
    mkdirSync(dir);
    const r = await fx.cli(["retrain", "--dry-run", "--local", "--db", dir]);
    expectOneLineFailure(r, 1, new RegExp(`^mlq: database path is a directory, not a SQLite file: ${dir}$`, "m"));
  });

  it("exits 1 with 'not a SQLite database' when --db names a text file", async () => {
    const txt = join(fx.dir, "notes.txt");
    writeFileSync(txt, "these are not the ticks you are looking for\n".repeat(200));
    const r = await fx.cli(["retrain", "--dry-run", "--local", "--db", txt]);
    expectOneLineFailure(r, 1, new RegExp(`^mlq: not a SQLite database or corrupt: ${txt}$`, "m"));
  });

  it("reports unreachable Redis on one line with the password masked, and a stack trace only with --verbose", async () => {
    const env = { REDIS_URL: "redis://:hunter2@127.0.0.1:1" };
    const plain = await fx.cli(["schedules"], env);
    expectOneLineFailure(plain, 1, /^mlq: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 \(ECONNREFUSED\)$/m);
    expect(plain.stderr).not.toContain("hunter2");
    expect(plain.stderr).not.toMatch(STACK_LINE);

    const verbose = await fx.cli(["--verbose", "schedules"], env);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(STACK_LINE);
    expect(verbose.stderr).not.toContain("hunter2");
  });

  it("exits 2 for retry and cancel of a job id that does not exist", async () => {
    const retry = await fx.cli(["retry", "no-such-job"]);
    expectOneLineFailure(retry, 2, /^mlq: job no-such-job not found in retrain, ab-eval, calibrate, monitor, notify, train$/m);
    const cancel = await fx.cli(["cancel", "no-such-job"]);
    expectOneLineFailure(cancel, 2, /^mlq: no job no-such-job in retrain, ab-eval, calibrate, monitor, notify, train$/m);
  });

  it("runs retrain --dry-run --local on a demo database: exit 0, the gates table, no model trained", async () => {
    await demoDb(fx.dbPath);
    const r = await fx.cli(["retrain", "--dry-run", "--local", "--db", fx.dbPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^retrain run #1 \(dry-run\): dry-run$/m);
    expect(r.stdout).toMatch(/^Gates$/m);
    for (const gate of ["paper_age", "trade_count", "regime_diversity"]) expect(r.stdout).toMatch(new RegExp(`^${gate}\\s+PASS\\s`, "m"));
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(sqlRows(fx.dbPath, "SELECT trigger_reason, success, models_trained FROM phase2_retrain_runs")).toEqual([
      { trigger_reason: "dry-run", success: 1, models_trained: 0 },
    ]);
  });

  it("prints JSON that parses for --json (retrain --local, schedules, jobs, config)", async () => {
    await demoDb(fx.dbPath);
    const retrain = await fx.cli(["retrain", "--dry-run", "--local", "--json", "--db", fx.dbPath]);
    expect(retrain.code, retrain.stderr).toBe(0);
    expect(JSON.parse(retrain.stdout)).toMatchObject({ outcome: "dry-run", trigger: "dry-run", gatePass: true });

    const schedules = await fx.cli(["schedules", "--json"]);
    expect(schedules.code, schedules.stderr).toBe(0);
    const rows = JSON.parse(schedules.stdout) as { queue: string; pattern: string }[];
    expect(rows.map((s) => [s.queue, s.pattern]).sort()).toEqual([
      ["ab-eval", "0 1 * * *"],
      ["calibrate", "30 12 * * *"],
      ["monitor", "5 * * * *"],
      ["retrain", "0 13 * * *"],
    ]);

    const producer = fx.producer();
    const { jobId } = await producer.enqueue("calibrate", {});
    const jobs = await fx.cli(["jobs", "--json"]);
    expect(jobs.code, jobs.stderr).toBe(0);
    expect((JSON.parse(jobs.stdout) as { id: string; state: string }[]).map((j) => [j.id, j.state])).toEqual([[jobId, "waiting"]]);

    const config = await fx.cli(["config", "--json"]);
    expect(config.code, config.stderr).toBe(0);
    expect(JSON.parse(config.stdout)).toContainEqual(expect.objectContaining({ name: "MLQ_QUEUE_PREFIX", value: fx.prefix }));
  });

  it("migrates a bot database with existing ticks and paper_trades without changing their rows", async () => {
    const bot = new Database(fx.dbPath);
    bot.exec(`
      CREATE TABLE ticks (ts_ms INTEGER NOT NULL, symbol TEXT NOT NULL, price REAL NOT NULL, size REAL);
      CREATE TABLE paper_trades (id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, side TEXT NOT NULL, strategy TEXT,
        status TEXT NOT NULL, opened_ts_ms INTEGER NOT NULL, closed_ts_ms INTEGER, entry_price REAL, exit_price REAL,
        signal_entry_price REAL, signal_exit_price REAL, qty REAL, fees REAL, pnl REAL, pnl_pct REAL);
    `);
    const addTick = bot.prepare("INSERT INTO ticks VALUES (?, ?, ?, ?)");
    for (let i = 0; i < 500; i++) addTick.run(1_736_000_000_000 + i * 1000, i % 2 ? "ETH-USDT" : "BTC-USDT", 100 + i / 7, i % 5 ? 0.5 : null);
    bot.exec("DELETE FROM ticks WHERE rowid IN (10, 11, 250)"); // rowid gaps, as real tables have
    bot.prepare(
      `INSERT INTO paper_trades VALUES (7, 'BTC-USDT', 'long', 'mom', 'closed', 1736000000000, 1736000600000, 101, 102, 100.9, 102.1, 0.1, 0.02, 0.08, 0.79),
                                       (9, 'ETH-USDT', 'short', NULL, 'open', 1736000300000, NULL, 55, NULL, 55.1, NULL, 1, 0.01, NULL, NULL)`,
    ).run();
    bot.close();
    const dump = () => ({
      ticks: sqlRows(fx.dbPath, "SELECT rowid AS rid, * FROM ticks ORDER BY rowid"),
      trades: sqlRows(fx.dbPath, "SELECT * FROM paper_trades ORDER BY id"),
    });
    const before = dump();
    expect(before.ticks).toHaveLength(497);

    const r = await fx.cli(["migrate", "--db", fx.dbPath, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { db: string; tables: string[] };
    expect(out.tables).toEqual(expect.arrayContaining(["phase2_retrain_runs", "phase2_gate_log", "ab_test_runs", "calibration_runs", "candles_1m"]));
    expect(dump()).toEqual(before);

    const again = await fx.cli(["migrate", "--db", fx.dbPath]);
    expect(again.code, again.stderr).toBe(0);
    expect(dump()).toEqual(before);
  });
});
