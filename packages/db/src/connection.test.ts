import Database from "better-sqlite3";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputDataError } from "@mlq/core";
import { migrate, openDatabase, openMigrated, requireColumns, requireTables, SQLITE_DRIVER_PATH, tableColumns, tableExists, withMigrated, type Connection } from "./connection.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-db-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MLQ_TABLES = ["phase2_retrain_runs", "phase2_gate_log", "ab_test_runs", "ab_active_model", "calibration_runs", "candles_1m", "candles_1m_watermark"];

describe("openDatabase", () => {
  it("sets WAL, busy_timeout >= 5000 and foreign keys", () => {
    const conn = openDatabase(join(dir, "a.db"), { create: true });
    expect(conn.sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(Number(conn.sqlite.pragma("busy_timeout", { simple: true }))).toBeGreaterThanOrEqual(5000);
    expect(conn.sqlite.pragma("foreign_keys", { simple: true })).toBe(1);
    conn.close();
  });

  it("sizes the page cache and the memory map only when asked", () => {
    const plain = openDatabase(join(dir, "a.db"), { create: true });
    const tuned = openDatabase(join(dir, "a.db"), { readonly: true, cacheKb: 512, mmapBytes: 2 ** 20 });
    try {
      expect(plain.sqlite.pragma("mmap_size", { simple: true })).toBe(0);
      expect(plain.sqlite.pragma("cache_size", { simple: true })).not.toBe(-512);
      expect(tuned.sqlite.pragma("cache_size", { simple: true })).toBe(-512);
      expect(tuned.sqlite.pragma("mmap_size", { simple: true })).toBe(2 ** 20);
    } finally {
      tuned.close();
      plain.close();
    }
  });

  it("exports the driver path worker threads load", async () => {
    expect((await import(SQLITE_DRIVER_PATH)).default).toBe(Database);
  });

  it.each([
    ["a missing file", (d: string) => join(d, "nope.db"), /database not found: .*nope\.db/],
    ["a missing directory", (d: string) => join(d, "no-dir", "x.db"), /database directory does not exist: .*no-dir/],
    ["a directory", (d: string) => d, /database path is a directory, not a SQLite file/],
    [
      "a text file",
      (d: string) => {
        const p = join(d, "text.db");
        writeFileSync(p, "this is not sqlite, just some text that is long enough to look like a header".repeat(20));
        return p;
      },
      /not a SQLite database or corrupt: .*text\.db/,
    ],
  ])("rejects %s with a one-line error naming the path", (_label, make, pattern) => {
    const p = make(dir);
    let err: unknown;
    try {
      openDatabase(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputDataError);
    expect((err as Error).message).toMatch(pattern);
    expect((err as Error).message).not.toContain("\n");
  });

  it("rejects a read-only file for writing", () => {
    if (process.getuid?.() === 0) {
      // root ignores file modes; simulate with a read-only open check on a chmod 444 file anyway
    }
    const p = join(dir, "ro.db");
    new Database(p).close();
    chmodSync(p, 0o444);
    if (process.getuid?.() === 0) {
      // access(W_OK) succeeds for root: the guarantee there is only that the open works.
      expect(() => openDatabase(p).close()).not.toThrow();
    } else {
      expect(() => openDatabase(p)).toThrow(/database file is read-only: .*ro\.db/);
    }
    expect(() => openDatabase(p, { readonly: true }).close()).not.toThrow();
  });
});

describe("migrate", () => {
  it("creates every table on an empty file and is idempotent", () => {
    const conn = openMigrated(join(dir, "empty.db"), { create: true });
    for (const t of ["ticks", "paper_trades", ...MLQ_TABLES]) expect(tableExists(conn.sqlite, t)).toBe(true);
    migrate(conn);
    migrate(conn);
    expect(tableColumns(conn.sqlite, "phase2_retrain_runs")).toContain("embargo_hours");
    conn.close();
  });

  it("never drops or rewrites the bot's existing ticks and paper_trades", () => {
    const p = join(dir, "bot.db");
    const bot = new Database(p);
    // The bot's own shape: no size column, no model_arm, an extra column of its own.
    bot.exec(`CREATE TABLE ticks (ts_ms INTEGER NOT NULL, symbol TEXT NOT NULL, price REAL NOT NULL, exchange TEXT);
      CREATE TABLE paper_trades (id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, side TEXT NOT NULL, status TEXT NOT NULL,
        opened_ts_ms INTEGER NOT NULL, closed_ts_ms INTEGER, pnl_pct REAL, note TEXT);`);
    const ins = bot.prepare("INSERT INTO ticks VALUES (?, ?, ?, ?)");
    for (let i = 0; i < 1000; i++) ins.run(1_700_000_000_000 + i * 1000, i % 2 ? "BTC" : "ETH", 100 + i / 10, "x");
    bot.prepare("INSERT INTO paper_trades VALUES (7, 'BTC', 'long', 'closed', 1, 2, 0.5, 'keep me')").run();
    const before = bot.prepare("SELECT group_concat(rowid || ts_ms || symbol || price, ',') AS h FROM ticks").get();
    const schemaBefore = bot.prepare("SELECT sql FROM sqlite_master WHERE name IN ('ticks','paper_trades') ORDER BY name").all();
    bot.close();

    const conn = openMigrated(p);
    migrate(conn);
    expect(conn.sqlite.prepare("SELECT group_concat(rowid || ts_ms || symbol || price, ',') AS h FROM ticks").get()).toEqual(before);
    expect(conn.sqlite.prepare("SELECT sql FROM sqlite_master WHERE name IN ('ticks','paper_trades') ORDER BY name").all()).toEqual(schemaBefore);
    expect(conn.sqlite.prepare("SELECT note FROM paper_trades WHERE id = 7").get()).toEqual({ note: "keep me" });
    for (const t of MLQ_TABLES) expect(tableExists(conn.sqlite, t)).toBe(true);
    conn.close();
  });
});

describe("migrate repairs", () => {
  it("re-creates an mlq table dropped after migration, with the columns later migrations added", () => {
    const conn = openMigrated(join(dir, "repair.db"), { create: true });
    conn.sqlite.exec("INSERT INTO calibration_runs (ts_ms, ts_iso, trades_analyzed) VALUES (1, 'x', 3)");
    conn.sqlite.exec("DROP TABLE ab_test_runs");
    migrate(conn);
    expect(tableExists(conn.sqlite, "ab_test_runs")).toBe(true);
    expect(tableColumns(conn.sqlite, "ab_test_runs")).toContain("error_msg");
    expect(conn.sqlite.prepare("SELECT trades_analyzed FROM calibration_runs").all()).toEqual([{ trades_analyzed: 3 }]);
    conn.close();
  });

  it("does not re-create the bot's ticks table behind its back", () => {
    const conn = openMigrated(join(dir, "bot-gone.db"), { create: true });
    conn.sqlite.exec("DROP TABLE ticks");
    migrate(conn);
    expect(tableExists(conn.sqlite, "ticks")).toBe(false);
    conn.close();
  });
});

describe("withMigrated", () => {
  it("hands fn a migrated connection, returns its result and closes it, also when fn throws", async () => {
    const path = join(dir, "w.db");
    let seen: Connection | undefined;
    const tables = await withMigrated(path, (conn) => ((seen = conn), MLQ_TABLES.filter((t) => tableExists(conn.sqlite, t))), { create: true });
    expect(tables).toEqual(MLQ_TABLES);
    expect(seen!.sqlite.open).toBe(false);
    await expect(withMigrated(path, async (conn) => ((seen = conn), await Promise.reject(new Error("boom"))))).rejects.toThrow("boom");
    expect(seen!.sqlite.open).toBe(false);
  });
});

describe("requireTables", () => {
  it("names the missing table and the database path", () => {
    const p = join(dir, "bare.db");
    new Database(p).close();
    const conn = openDatabase(p);
    expect(() => requireTables(conn, ["ticks"])).toThrow(`ticks table missing in ${p}`);
    conn.close();
  });
});

describe("requireColumns", () => {
  function botDb(sql: string): { conn: ReturnType<typeof openDatabase>; p: string } {
    const p = join(dir, "bot.db");
    const raw = new Database(p);
    raw.exec(sql);
    raw.close();
    return { conn: openDatabase(p), p };
  }

  it("passes when every column is there", () => {
    const { conn } = botDb("CREATE TABLE paper_trades (id INTEGER PRIMARY KEY, status TEXT, opened_ts_ms INTEGER)");
    expect(() => requireColumns(conn, "paper_trades", ["id", "status", "opened_ts_ms"])).not.toThrow();
    conn.close();
  });

  it("names table.column and the path for a missing column, as an InputDataError", () => {
    const { conn, p } = botDb("CREATE TABLE paper_trades (id INTEGER PRIMARY KEY, status TEXT)");
    const err = (() => {
      try {
        requireColumns(conn, "paper_trades", ["id", "opened_ts_ms", "status"]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputDataError);
    expect((err as InputDataError).retryable).toBe(false);
    expect((err as Error).message).toBe(`paper_trades.opened_ts_ms column missing in ${p}`);
    conn.close();
  });

  it("lists every missing column at once", () => {
    const { conn, p } = botDb("CREATE TABLE ticks (ts_ms INTEGER, symbol TEXT)");
    expect(() => requireColumns(conn, "ticks", ["ts_ms", "symbol", "price", "size"])).toThrow(`ticks.price, ticks.size columns missing in ${p}`);
    conn.close();
  });

  it("names the table when the table itself is missing", () => {
    const { conn, p } = botDb("CREATE TABLE other (x)");
    expect(() => requireColumns(conn, "ticks", ["price"])).toThrow(`ticks table missing in ${p}`);
    conn.close();
  });
});
