// Winston factory: colored human lines on stderr plus a size-rotated JSON file per app.
// A log directory that cannot be written never stops the app: it warns once and goes console-only.
// Two processes of one app sharing a log directory (two worker-train started by hand) would rotate
// the same file under each other: a process claims `<name>.log` with an owner file, and the second
// live process takes `<name>-2.log`, and so on.
import { accessSync, constants, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import winston from "winston";
import type { Logger } from "@mlq/core";

export type LogLevel = "error" | "warn" | "info" | "debug";

export interface AppLogger extends Logger {
  /** A logger whose every line carries `fields` in addition to the parent's. */
  child(fields: Record<string, unknown>): AppLogger;
  /** Absolute-or-relative path of the JSON log file, or null when logging to console only. */
  readonly filePath: string | null;
  /** Flushes and closes the transports (call once, at exit). */
  close(): Promise<void>;
}

export interface CreateLoggerOptions {
  /**
   * App name: the file is `<logsDir>/<name>.log` (`<name>-2.log`, … while another live process on this
   * host holds it) and every line carries `app: name`.
   */
  name: string;
  /** Directory for the JSON file; omit for console only. */
  logsDir?: string | undefined;
  level?: LogLevel | undefined;
  /** Write to stderr (default true). */
  console?: boolean | undefined;
  /** Console lines as JSON instead of colored text (for journald / log shippers). */
  json?: boolean | undefined;
  /** Rotate the file at this size (default 10 MiB). */
  maxFileBytes?: number | undefined;
  /** Rotated files kept (default 5). */
  maxFiles?: number | undefined;
}

const LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug"];
const warnedDirs = new Set<string>();

/** Error values in fields become `{ message, code?, stack }` so JSON lines keep them. */
const serializeErrors = winston.format((info) => {
  for (const [k, v] of Object.entries(info)) {
    if (v instanceof Error) {
      const code = (v as { code?: unknown }).code;
      info[k] = { name: v.name, message: v.message, ...(code !== undefined ? { code } : {}), stack: v.stack };
    }
  }
  return info;
});

const HIDDEN_CONSOLE_FIELDS = new Set(["level", "message", "timestamp", "app"]);

const humanLine = winston.format.printf((info) => {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info)) if (!HIDDEN_CONSOLE_FIELDS.has(k)) fields[k] = v;
  const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
  return `${String(info.timestamp)} ${info.level} [${String(info.app)}] ${String(info.message)}${rest}`;
});

/** Returns null when `dir` is (or can be made) writable, else the errno code. */
function unwritableReason(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? "EIO";
  }
}

function warnOnce(key: string, write: (msg: string) => void, msg: string): void {
  if (warnedDirs.has(key)) return;
  warnedDirs.add(key);
  write(msg);
}

/** Files this process claimed, with how many of its loggers use each (they share it, as before). */
const claimedHere = new Map<string, number>();
const MAX_LOG_SLOTS = 16;

function ownerOf(file: string): string {
  return `${file}.owner`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes `file` when it is free, ours, or held by a dead process of this host; false when a live process holds it. */
function tryClaim(file: string): boolean {
  const owner = ownerOf(file);
  const me = `${hostname()} ${process.pid}`;
  try {
    writeFileSync(owner, me, { flag: "wx" });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const [host, pidText] = readFileSync(owner, "utf8").trim().split(" ");
  const pid = Number(pidText);
  const stale = host === hostname() && (pid === process.pid || !Number.isInteger(pid) || pid <= 0 || !alive(pid));
  if (!stale) return false;
  writeFileSync(owner, me);
  // Two processes taking over the same stale claim: the last writer keeps it, the other moves on.
  return readFileSync(owner, "utf8") === me;
}

/** The log file this process writes in `dir` for `name` (see the header); falls back to the shared name. */
function claimLogFile(dir: string, name: string): string {
  const first = join(dir, `${name}.log`);
  for (let slot = 1; slot <= MAX_LOG_SLOTS; slot++) {
    const file = slot === 1 ? first : join(dir, `${name}-${slot}.log`);
    if (claimedHere.has(file) || tryClaim(file)) {
      claimedHere.set(file, (claimedHere.get(file) ?? 0) + 1);
      return file;
    }
  }
  return first;
}

function releaseLogFile(file: string): void {
  const users = (claimedHere.get(file) ?? 0) - 1;
  if (users > 0) {
    claimedHere.set(file, users);
    return;
  }
  if (!claimedHere.delete(file)) return;
  try {
    if (readFileSync(ownerOf(file), "utf8") === `${hostname()} ${process.pid}`) unlinkSync(ownerOf(file));
  } catch {
    /* gone already */
  }
}

process.once("exit", () => {
  for (const file of [...claimedHere.keys()]) {
    claimedHere.set(file, 1);
    releaseLogFile(file);
  }
});

export function createLogger(options: CreateLoggerOptions): AppLogger {
  const level = options.level ?? "info";
  if (!LEVELS.includes(level)) throw new Error(`unknown log level ${JSON.stringify(level)} (expected ${LEVELS.join("|")})`);
  const transports: winston.transport[] = [];
  const useConsole = options.console ?? true;
  if (useConsole) {
    transports.push(
      new winston.transports.Console({
        stderrLevels: [...LEVELS],
        format: options.json
          ? winston.format.json()
          : winston.format.combine(winston.format.colorize(), humanLine),
      }),
    );
  }

  let filePath: string | null = null;
  let fileProblem: string | null = null;
  let fileTransport: winston.transports.FileTransportInstance | undefined;
  if (options.logsDir !== undefined) {
    let reason = unwritableReason(options.logsDir);
    let candidate = join(options.logsDir, `${options.name}.log`);
    if (reason === null) {
      try {
        candidate = claimLogFile(options.logsDir, options.name);
      } catch (err) {
        reason = (err as NodeJS.ErrnoException).code ?? "EIO";
      }
    }
    if (reason === null) {
      filePath = candidate;
      fileTransport = new winston.transports.File({
        filename: candidate,
        maxsize: options.maxFileBytes ?? 10 * 1024 * 1024,
        maxFiles: options.maxFiles ?? 5,
        tailable: true,
        format: winston.format.json(),
      });
      transports.push(fileTransport);
    } else {
      fileProblem = `cannot write logs to ${candidate} (${reason}); logging to console only`;
    }
  }

  const base = winston.createLogger({
    level,
    defaultMeta: { app: options.name },
    format: winston.format.combine(winston.format.timestamp(), serializeErrors()),
    transports,
    // An empty transport list makes winston print a warning per line; keep it quiet instead.
    silent: transports.length === 0,
  });
  // Without a listener a transport error (disk full, EACCES on rotation) would crash the process.
  base.on("error", (err: unknown) => {
    warnOnce(`error:${filePath ?? ""}`, (m) => process.stderr.write(`${m}\n`), `logger error for ${options.name}: ${String(err)}`);
  });
  const fallbackWarn = (m: string): void => {
    if (useConsole) base.warn(m);
    else process.stderr.write(`${m}\n`);
  };
  if (fileProblem !== null) warnOnce(`dir:${options.logsDir ?? ""}`, fallbackWarn, fileProblem);
  if (fileTransport) {
    const ft = fileTransport;
    ft.on("error", (err: unknown) => {
      base.remove(ft);
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      warnOnce(`file:${filePath ?? ""}`, fallbackWarn, `cannot write logs to ${filePath ?? "?"} (${code}); logging to console only`);
    });
  }

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (!closed && filePath !== null) releaseLogFile(filePath);
    closed ??= new Promise<void>((resolve) => {
      // winston's own 'finish' can fire before the file stream flushes; wait for the file transport.
      const done = (): void => resolve();
      const timer = setTimeout(done, 2000);
      timer.unref();
      if (fileTransport && base.transports.includes(fileTransport)) fileTransport.once("finish", () => { clearTimeout(timer); done(); });
      else base.once("finish", () => { clearTimeout(timer); done(); });
      base.end();
    });
    return closed;
  };
  return wrap(base, filePath, close);
}

function wrap(w: winston.Logger, filePath: string | null, close: () => Promise<void>): AppLogger {
  return {
    debug: (m, f) => void w.debug(m, f ?? {}),
    info: (m, f) => void w.info(m, f ?? {}),
    warn: (m, f) => void w.warn(m, f ?? {}),
    error: (m, f) => void w.error(m, f ?? {}),
    child: (fields) => wrap(w.child(fields), filePath, close),
    filePath,
    close,
  };
}
