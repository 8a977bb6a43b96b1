// Opens the shared trading database the way every mlq process must: WAL, a generous
// busy_timeout (the bot keeps writing ticks), foreign keys on, and one-line errors.
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate as drizzleMigrate } from "drizzle-orm/better-sqlite3/migrator";
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InputDataError, isTransientSqliteError, TransientDbError } from "@mlq/core";
import * as schema from "./schema/index.js";

export type Schema = typeof schema;
export type Db = BetterSQLite3Database<Schema>;
export type Sqlite = Database.Database;

export interface Connection {
  readonly path: string;
  readonly sqlite: Sqlite;
  readonly db: Db;
  close(): void;
}

export interface OpenOptions {
  /** Create the file when missing (demo data, tests). Default false: a missing DB is an error. */
  create?: boolean;
  readonly?: boolean;
  busyTimeoutMs?: number;
  /** Memory-map up to this many bytes of the file for reads (default 0: off). */
  mmapBytes?: number;
  /**
   * SQLite page cache of this connection in KiB (default: the driver's, 16 MB). A short-lived
   * process that reads each page once (a tick sample) gains nothing from a large cache, and
   * every fresh cache page costs a page fault.
   */
  cacheKb?: number;
}

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../drizzle");

/** busy_timeout of every connection unless told otherwise: the bot keeps writing ticks. */
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

/**
 * Where the SQLite driver (better-sqlite3) resolves from this package: worker threads that open
 * their own connection `require` it by this path (they cannot import TypeScript sources).
 */
export const SQLITE_DRIVER_PATH = createRequire(import.meta.url).resolve("better-sqlite3");

/** Opens `path` with mlq's pragmas; every failure is one InputDataError naming the path. */
export function openDatabase(path: string, options: OpenOptions = {}): Connection {
  const abs = resolve(path);
  const dir = dirname(abs);
  if (!existsSync(dir)) throw new InputDataError(`database directory does not exist: ${dir} (for ${abs})`, { context: { path: abs } });
  if (existsSync(abs)) {
    if (statSync(abs).isDirectory()) throw new InputDataError(`database path is a directory, not a SQLite file: ${abs}`, { context: { path: abs } });
    if (!options.readonly) {
      try {
        accessSync(abs, constants.W_OK);
      } catch {
        throw new InputDataError(`database file is read-only: ${abs}`, { context: { path: abs } });
      }
    }
  } else if (!options.create) {
    throw new InputDataError(`database not found: ${abs}`, { context: { path: abs } });
  }
  let sqlite: Sqlite;
  try {
    sqlite = new Database(abs, { readonly: options.readonly ?? false, fileMustExist: !options.create });
  } catch (err) {
    throw new InputDataError(`cannot open database ${abs}: ${(err as Error).message}`, { cause: err, context: { path: abs } });
  }
  try {
    sqlite.pragma(`busy_timeout = ${options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
    // Touching the schema is what reveals a non-SQLite or corrupt file.
    sqlite.prepare("SELECT count(*) FROM sqlite_master").get();
    if (!options.readonly) {
      const mode = sqlite.pragma("journal_mode = WAL", { simple: true });
      if (String(mode).toLowerCase() !== "wal") throw new Error(`journal_mode is ${String(mode)}, expected wal`);
    }
    sqlite.pragma("foreign_keys = ON");
    // Stride sampling touches one page per tick across a multi-GB file: mapped reads avoid a
    // copy per page (10k point lookups ~45 ms -> ~28 ms on a 28M-tick table). Opt-in, because
    // mapped pages count towards a worker's RSS and its systemd MemoryMax.
    if (options.mmapBytes) sqlite.pragma(`mmap_size = ${Math.floor(options.mmapBytes)}`);
    if (options.cacheKb) sqlite.pragma(`cache_size = -${Math.max(1, Math.floor(options.cacheKb))}`);
    sqlite.pragma("synchronous = NORMAL");
  } catch (err) {
    sqlite.close();
    const code = (err as { code?: string }).code;
    if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT")
      throw new InputDataError(`not a SQLite database or corrupt: ${abs}`, { cause: err, context: { path: abs } });
    if (code === "SQLITE_READONLY" || code === "SQLITE_CANTOPEN")
      throw new InputDataError(`database file is read-only or cannot be opened: ${abs}`, { cause: err, context: { path: abs } });
    if (isTransientSqliteError(err)) throw new TransientDbError(`database busy: ${abs}`, { cause: err, context: { path: abs } });
    throw new InputDataError(`cannot open database ${abs}: ${(err as Error).message}`, { cause: err, context: { path: abs } });
  }
  const db = drizzle(sqlite, { schema });
  return {
    path: abs,
    sqlite,
    db,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}

/**
 * Applies mlq's migrations. Safe on an empty file and on the bot's existing database:
 * every CREATE is IF NOT EXISTS, and nothing drops or alters `ticks` / `paper_trades`.
 */
export function migrate(conn: Connection): void {
  try {
    drizzleMigrate(conn.db, { migrationsFolder: MIGRATIONS_DIR });
    repairMissingTables(conn);
  } catch (err) {
    if (isTransientSqliteError(err)) throw new TransientDbError(`database busy while migrating ${conn.path}`, { cause: err });
    throw new InputDataError(`migration failed on ${conn.path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * drizzle's journal says a migration ran even when one of its tables was dropped later (a
 * restore, a hand-made cleanup). Re-apply every idempotent CREATE, then the column additions the
 * re-created tables lack, so mlq's tables always match the schema after `migrate`.
 */
const BOT_TABLES = new Set(["ticks", "paper_trades"]);

function repairMissingTables(conn: Connection): void {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql")).sort();
  const statements = files.flatMap((f) => readFileSync(join(MIGRATIONS_DIR, f), "utf8").split("--> statement-breakpoint").map((x) => x.trim()).filter(Boolean));
  const creates = statements.filter((x) => /^CREATE (UNIQUE )?(TABLE|INDEX) IF NOT EXISTS/i.test(x));
  const missing = creates
    .map((x) => /^CREATE TABLE IF NOT EXISTS `([^`]+)`/i.exec(x)?.[1])
    // The bot's own tables are never re-created behind its back: their absence is reported.
    .filter((t): t is string => t !== undefined && !BOT_TABLES.has(t) && !tableExists(conn.sqlite, t));
  if (missing.length === 0) return;
  conn.sqlite.transaction(() => {
    for (const x of creates) {
      const table = /^CREATE TABLE IF NOT EXISTS `([^`]+)`/i.exec(x)?.[1] ?? /^CREATE (?:UNIQUE )?INDEX IF NOT EXISTS `[^`]+` ON `([^`]+)`/i.exec(x)?.[1];
      if (table !== undefined && missing.includes(table)) conn.sqlite.exec(x);
    }
    for (const x of statements) {
      const add = /^ALTER TABLE `([^`]+)` ADD `([^`]+)`/i.exec(x);
      if (add && missing.includes(add[1]!) && !tableColumns(conn.sqlite, add[1]!).has(add[2]!)) conn.sqlite.exec(x);
    }
  }).immediate();
}

/** Opens and migrates in one step (what workers and the CLI do). */
export function openMigrated(path: string, options: OpenOptions = {}): Connection {
  const conn = openDatabase(path, options);
  try {
    migrate(conn);
  } catch (err) {
    conn.close();
    throw err;
  }
  return conn;
}

/** Opens and migrates `path` for the length of `fn` (sync or async), and always closes it. */
export async function withMigrated<T>(path: string, fn: (conn: Connection) => T | Promise<T>, options: OpenOptions = {}): Promise<T> {
  const conn = openMigrated(path, options);
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

export function tableExists(sqlite: Sqlite, table: string): boolean {
  return sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

export function tableColumns(sqlite: Sqlite, table: string): Set<string> {
  const rows = sqlite.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[];
  return new Set(rows.map((r) => r.name));
}

/** Throws `<table> table missing in <path>` for the first absent table. */
export function requireTables(conn: Connection, tables: readonly string[]): void {
  for (const t of tables) {
    if (!tableExists(conn.sqlite, t)) throw new InputDataError(`${t} table missing in ${conn.path}`, { context: { path: conn.path, table: t } });
  }
}

/**
 * Checks `table` and the columns a reader needs before it runs its SQL, so a bot table that
 * lacks one answers `paper_trades.opened_ts_ms column missing in <path>` (InputDataError, not
 * retryable) instead of SQLite's "no such column". A missing table is `<table> table missing in <path>`.
 */
export function requireColumns(conn: Connection, table: string, columns: readonly string[]): void {
  requireTables(conn, [table]);
  const have = tableColumns(conn.sqlite, table);
  const missing = columns.filter((c) => !have.has(c));
  if (missing.length === 0) return;
  const names = missing.map((c) => `${table}.${c}`).join(", ");
  throw new InputDataError(`${names} column${missing.length > 1 ? "s" : ""} missing in ${conn.path}`, {
    context: { path: conn.path, table, columns: missing },
  });
}

/** Runs `fn` in one short IMMEDIATE transaction; SQLITE_BUSY becomes a retryable TransientDbError. */
export function writeTx<T>(conn: Connection, fn: () => T): T {
  try {
    return conn.sqlite.transaction(fn).immediate();
  } catch (err) {
    if (isTransientSqliteError(err)) throw new TransientDbError(`database busy writing to ${conn.path}`, { cause: err });
    throw err;
  }
}
