// Scenario 5: the bad-input corpus. Each bad input the SPEC names is fed to the code path a
// worker runs (openMigrated + runRetrain / materializeCandles / the registry / parsePayload);
// the observed outcome is captured, must be one line, and nothing may be lost: the bot's
// rows (ticks, paper_trades) and the model pointers stay exactly as they were.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadConfig } from "@mlq/config";
import { MlqError, ModelIntegrityError, errorMessage } from "@mlq/core";
import { openMigrated } from "@mlq/db";
import { MAX_PAYLOAD_BYTES, PayloadError, QUEUE_NAMES, parsePayload } from "@mlq/jobs";
import { materializeCandles } from "@mlq/market-data";
import { runRetrain } from "@mlq/ml";
import { POINTER_NAMES, loadModelSet, pointerPath, promoteV2Paper, readPointer, saveModelSet } from "@mlq/registry";
import { DEMO_END_MS, observedCorpus } from "./support.js";

const corpus = observedCorpus<{ input: string; outcome: string; lost: string }>("bad-input corpus");
const observed = corpus.observed;

const config = loadConfig({ MLQ_XGB_ROUNDS: "5", MLQ_TRAIN_THREADS: "1" });

const BOT_TICKS = "CREATE TABLE ticks (ts_ms INTEGER NOT NULL, symbol TEXT NOT NULL, price REAL NOT NULL, size REAL)";
const BOT_TRADES = `CREATE TABLE paper_trades (id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, side TEXT NOT NULL, strategy TEXT,
  status TEXT NOT NULL, opened_ts_ms INTEGER NOT NULL, closed_ts_ms INTEGER, entry_price REAL, exit_price REAL,
  signal_entry_price REAL, signal_exit_price REAL, qty REAL, fees REAL, pnl REAL, pnl_pct REAL, model_arm TEXT)`;

/** A bot database made of raw SQL, as the bot would have it (no mlq tables yet). */
function botDb(path: string, opts: { ticks?: boolean; trades?: boolean; tickRows?: [number, string, number | string][] }): void {
  const db = new Database(path);
  if (opts.ticks !== false) db.exec(BOT_TICKS);
  if (opts.trades !== false) {
    db.exec(BOT_TRADES);
    const ins = db.prepare(
      "INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, entry_price, exit_price, signal_entry_price, signal_exit_price, pnl_pct) VALUES ('BTC-USDT', 'long', 'closed', ?, ?, 100, 101, 100, 101, 1)",
    );
    for (let i = 0; i < 20; i++) ins.run(DEMO_END_MS - (20 - i) * 3_600_000, DEMO_END_MS - (20 - i) * 3_600_000 + 60_000);
  }
  if (opts.tickRows) {
    const ins = db.prepare("INSERT INTO ticks (ts_ms, symbol, price, size) VALUES (?, ?, ?, 1)");
    for (const [ts, sym, price] of opts.tickRows) ins.run(ts, sym, price);
  }
  db.close();
}

function rowCounts(path: string): string {
  if (!existsSync(path) || statSync(path).isDirectory()) return "no file";
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const count = (t: string): string => {
        const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?").get(t);
        return exists ? String((db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n) : "-";
      };
      return `ticks ${count("ticks")}, paper_trades ${count("paper_trades")}`;
    } finally {
      db.close();
    }
  } catch {
    return `unreadable (${statSync(path).size} bytes)`;
  }
}

/** What a retrain worker does with its configured database (MLQ_DB_PATH): open + migrate, then a forced retrain. */
async function retrainOutcome(dbPath: string, modelsDir: string): Promise<string> {
  try {
    const conn = openMigrated(dbPath);
    try {
      const s = await runRetrain({ conn, config, modelsDir, nowMs: DEMO_END_MS }, { trigger: "force" });
      return `${s.outcome}: ${s.message}`;
    } finally {
      conn.close();
    }
  } catch (err) {
    expect(err, errorMessage(err)).toBeInstanceOf(MlqError);
    return `${(err as Error).constructor.name}: ${errorMessage(err)}`;
  }
}

function record(input: string, outcome: string, lost: string): void {
  expect(outcome, "one line").not.toMatch(/\n/);
  observed.push({ input, outcome: outcome.replaceAll(corpus.fx.dir, "<tmp>"), lost });
}

const minute = 60_000;
const start = DEMO_END_MS - 10 * 24 * 60 * minute;

describe("bad database input", () => {
  it.each([
    {
      input: "missing DB file",
      setup: (p: string) => p,
      expect: /InputDataError: database not found: /,
    },
    {
      input: "corrupt DB (random bytes)",
      setup: (p: string) => (writeFileSync(p, randomBytes(64 * 1024)), p),
      expect: /InputDataError: not a SQLite database or corrupt: /,
    },
    {
      input: "DB path is a directory",
      setup: (p: string) => (mkdirSync(p), p),
      expect: /InputDataError: database path is a directory, not a SQLite file: /,
    },
    {
      input: "missing ticks table",
      setup: (p: string) => (botDb(p, { ticks: false }), p),
      // Migrations create the bot's tables when absent (SPEC 2): the run then finds no data.
      expect: /^(insufficient-data|gates-failed|InputDataError)/,
    },
    {
      input: "missing paper_trades table",
      setup: (p: string) => (botDb(p, { trades: false, tickRows: [[start, "BTC-USDT", 100]] }), p),
      expect: /^(insufficient-data|gates-failed|InputDataError)/,
    },
    {
      input: "empty ticks table",
      setup: (p: string) => (botDb(p, {}), p),
      expect: /^(insufficient-data|InputDataError)/,
    },
  ])("$input: one-line error or result, no data lost", async ({ input, setup, expect: pattern }) => {
    const dbPath = setup(join(corpus.fx.dir, "bot.db"));
    const modelsDir = join(corpus.fx.dir, "models");
    const before = rowCounts(dbPath);
    const bytesBefore = existsSync(dbPath) && !statSync(dbPath).isDirectory() && input.startsWith("corrupt") ? readFileSync(dbPath) : null;
    const outcome = await retrainOutcome(dbPath, modelsDir);
    expect(outcome).toMatch(pattern);
    const after = rowCounts(dbPath);
    if (bytesBefore) expect(readFileSync(dbPath).equals(bytesBefore), "corrupt file left byte-identical").toBe(true);
    else if (before.startsWith("ticks")) expect(after.replaceAll(" -", " 0")).toBe(before.replaceAll(" -", " 0"));
    else expect(after).toBe(before);
    expect(existsSync(join(corpus.fx.dir, "bot.db")) || input === "missing DB file").toBe(true);
    expect(POINTER_NAMES.map((n) => existsSync(pointerPath(modelsDir, n)))).toEqual(POINTER_NAMES.map(() => false));
    record(input, outcome, bytesBefore ? "none (file byte-identical)" : `none (${after})`);
  });

  it("skips and counts NaN, zero, negative and infinite prices when building candles", () => {
    const dbPath = join(corpus.fx.dir, "bot.db");
    const good: [number, string, number | string][] = [];
    for (let i = 0; i < 30; i++) good.push([start + i * 20_000, "BTC-USDT", 100 + i]);
    const bad: [number, string, number | string][] = [
      [start + 5_000, "BTC-USDT", 0],
      [start + 6_000, "BTC-USDT", -5],
      [start + 7_000, "BTC-USDT", "NaN"],
      [start + 8_000, "BTC-USDT", Number.POSITIVE_INFINITY],
    ];
    botDb(dbPath, { tickRows: [...good.slice(0, 10), ...bad, ...good.slice(10)] });
    const before = rowCounts(dbPath);
    const conn = openMigrated(dbPath);
    try {
      const r = materializeCandles(conn);
      expect(r.skippedTicks).toBe(bad.length);
      expect(r.ticksRead).toBe(good.length + bad.length);
      const agg = conn.sqlite.prepare("SELECT sum(ticks) AS n, min(low) AS lo, max(high) AS hi FROM candles_1m").get() as { n: number; lo: number; hi: number };
      expect(agg).toEqual({ n: good.length, lo: 100, hi: 129 });
      record("NaN / 0 / negative / Infinity prices", `candles built; skippedTicks=${r.skippedTicks} of ${r.ticksRead}`, `none (${rowCounts(dbPath)})`);
    } finally {
      conn.close();
    }
    expect(rowCounts(dbPath)).toBe(before);
  });

  it("builds correct candles from out-of-order ticks", () => {
    const dbPath = join(corpus.fx.dir, "bot.db");
    const rows: [number, string, number][] = [];
    for (let i = 0; i < 40; i++) rows.push([start + i * 15_000, i % 2 ? "ETH-USDT" : "BTC-USDT", 100 + (i % 7)]);
    // Swap neighbours so timestamps go backwards every other row, some across a minute boundary.
    for (let i = 0; i + 1 < rows.length; i += 2) [rows[i], rows[i + 1]] = [rows[i + 1]!, rows[i]!];
    rows.push([start - 5 * minute, "BTC-USDT", 90]); // a late tick of an old minute
    botDb(dbPath, { tickRows: rows });
    const before = rowCounts(dbPath);
    const conn = openMigrated(dbPath);
    try {
      const r = materializeCandles(conn);
      const q = "SELECT symbol, bucket_ts_ms, open, high, low, close, ticks FROM candles_1m ORDER BY symbol, bucket_ts_ms";
      const incremental = conn.sqlite.prepare(q).all();
      materializeCandles(conn, { rebuild: true });
      expect(conn.sqlite.prepare(q).all()).toEqual(incremental);
      const total = conn.sqlite.prepare("SELECT sum(ticks) AS n, min(low) AS lo FROM candles_1m").get() as { n: number; lo: number };
      expect(total).toEqual({ n: rows.length, lo: 90 });
      expect(r.skippedTicks).toBe(0);
      record("out-of-order ticks", `candles built; every tick counted (${total.n}), incremental == rebuild`, `none (${rowCounts(dbPath)})`);
    } finally {
      conn.close();
    }
    expect(rowCounts(dbPath)).toBe(before);
  });
});

describe("bad model files", () => {
  function publishVersion(modelsDir: string): void {
    const models = ["direction", "risk", "price", "momentum", "volatility"].map((name) => ({ name, bytes: randomBytes(4096) }));
    saveModelSet(modelsDir, "1", {
      models,
      manifest: { featureNames: ["f"], params: {}, dataWindow: {}, rowCounts: { train: 1 }, metrics: { auc: 0.5 }, slippageMult: 2, embargoHours: 24 },
    });
    promoteV2Paper(modelsDir, "1");
  }

  it.each([
    {
      input: "truncated model file",
      damage: (dir: string) => truncateSync(join(dir, "1", "risk.xgb"), 100),
      expect: /model file \S+risk\.xgb has 100 bytes, manifest says 4096 \(truncated\?\)/,
    },
    {
      input: "tampered manifest",
      damage: (dir: string) => {
        const path = join(dir, "1", "manifest.json");
        writeFileSync(path, readFileSync(path, "utf8").replace('"auc": 0.5', '"auc": 0.99'));
      },
      expect: /manifest \S+ was modified: sha256 \w+ but the pointer expects \w+/,
    },
  ])("$input: refused with ModelIntegrityError, pointer unchanged", ({ input, damage, expect: pattern }) => {
    const modelsDir = join(corpus.fx.dir, "models");
    publishVersion(modelsDir);
    const pointerBytes = readFileSync(pointerPath(modelsDir, "v2_paper"), "utf8");
    damage(modelsDir);
    const pointer = readPointer(modelsDir, "v2_paper")!;
    let outcome = "loaded?!";
    try {
      loadModelSet(modelsDir, pointer);
    } catch (err) {
      expect(err).toBeInstanceOf(ModelIntegrityError);
      outcome = `ModelIntegrityError: ${errorMessage(err)}`;
    }
    expect(outcome).toMatch(pattern);
    expect(readFileSync(pointerPath(modelsDir, "v2_paper"), "utf8")).toBe(pointerBytes);
    record(input, outcome, "none (pointer byte-identical)");
  });
});

describe("bad job payloads", () => {
  /** parsePayload either accepts or throws a one-line PayloadError; anything else is a bug. */
  function classify(queue: (typeof QUEUE_NAMES)[number], data: unknown): string {
    try {
      parsePayload(queue, data);
      return "accepted";
    } catch (err) {
      expect(err, errorMessage(err)).toBeInstanceOf(PayloadError);
      expect((err as Error).message).not.toMatch(/\n/);
      return (err as Error).message;
    }
  }

  it("rejects arbitrary malformed payloads with a one-line PayloadError and nothing else", () => {
    const seen = new Map<string, string>();
    fc.assert(
      fc.property(fc.constantFrom(...QUEUE_NAMES), fc.anything({ withBigInt: true, withNullPrototype: true, withMap: true, withSet: true, withDate: true }), (queue, data) => {
        const outcome = classify(queue, data);
        const kind = outcome.replace(/:.*/, "");
        if (outcome !== "accepted" && !seen.has(kind)) seen.set(kind, outcome);
      }),
      { numRuns: 500, seed: 20261125 },
    );
    for (const [, example] of [...seen].slice(0, 4)) record("fast-check malformed payload", example.slice(0, 140), "n/a (rejected before any job runs)");
  });

  it("rejects oversized payloads by size, before validating their fields", () => {
    fc.assert(
      fc.property(fc.constantFrom(...QUEUE_NAMES), fc.integer({ min: MAX_PAYLOAD_BYTES + 1, max: 4 * MAX_PAYLOAD_BYTES }), (queue, size) => {
        expect(classify(queue, { requestedBy: "x".repeat(size) })).toMatch(/payload is [\d.]+ KiB, above the 16 KiB limit$/);
      }),
      { numRuns: 50, seed: 7 },
    );
    record("oversized payload (>16 KiB)", classify("retrain", { requestedBy: "x".repeat(20_000) }), "n/a (rejected before any job runs)");
  });

  it.each([
    { input: "circular payload", data: (() => { const o: Record<string, unknown> = {}; o.self = o; return o; })() },
    { input: "BigInt field", data: { dbPath: 1n } },
    { input: "unknown field", data: { trigger: "force", rm: "-rf" } },
    { input: "wrong enum value", data: { trigger: "yolo" } },
    { input: "array payload", data: [1, 2, 3] },
  ])("$input is rejected with a one-line PayloadError", ({ input, data }) => {
    const outcome = classify("retrain", data);
    expect(outcome).not.toBe("accepted");
    record(input, outcome, "n/a (rejected before any job runs)");
  });

  it.each([
    { input: "calibrate payload with outPath", queue: "calibrate", data: { outPath: "/tmp/x/owned.json" }, setting: "calibration file (MLQ_CALIBRATION_PATH)" },
    { input: "retrain payload with dbPath", queue: "retrain", data: { trigger: "force", dbPath: "/data/other.db" }, setting: "database (MLQ_DB_PATH)" },
    { input: "ab-eval payload with dbPath", queue: "ab-eval", data: { action: "evaluate", dbPath: "/data/other.db" }, setting: "database (MLQ_DB_PATH)" },
    { input: "payload with modelsDir", queue: "retrain", data: { modelsDir: "/srv/models" }, setting: "models directory (MLQ_MODELS_DIR)" },
  ] as const)("$input is refused: payloads choose no files", ({ input, queue, data, setting }) => {
    const outcome = classify(queue, data);
    const key = Object.keys(data).find((k) => k.endsWith("Path") || k.endsWith("Dir"))!;
    expect(outcome).toBe(`invalid ${queue} payload: ${key} is not accepted in job payloads: workers use their configured ${setting}`);
    record(input, outcome, "n/a (rejected before any job runs; no file opened or written)");
  });
});
