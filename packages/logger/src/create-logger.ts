// Winston factory: colored human lines on stderr plus a size-rotated JSON file per app.
// A log directory that cannot be written never stops the app: it warns once and goes console-only.
import { accessSync, constants, mkdirSync } from "node:fs";
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
  /** App name: the file is `<logsDir>/<name>.log` and every line carries `app: name`. */
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
    const reason = unwritableReason(options.logsDir);
    const candidate = join(options.logsDir, `${options.name}.log`);
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
