// Error classes shared by every mlq package. The worker bootstrap maps
// `retryable === false` to BullMQ's UnrecoverableError.

export interface MlqErrorOptions {
  context?: Record<string, unknown>;
  cause?: unknown;
}

export class MlqError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly context: Record<string, unknown>;

  constructor(code: string, message: string, retryable: boolean, options: MlqErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
    this.context = options.context ?? {};
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Bad or missing input data: retrying will not help. */
export class InputDataError extends MlqError {
  constructor(message: string, options?: MlqErrorOptions) {
    super("INPUT_DATA", message, false, options);
  }
}

/** Invalid configuration or job payload. */
export class ConfigError extends MlqError {
  constructor(message: string, options?: MlqErrorOptions) {
    super("CONFIG", message, false, options);
  }
}

/** A model file or manifest failed its integrity check. */
export class ModelIntegrityError extends MlqError {
  constructor(message: string, options?: MlqErrorOptions) {
    super("MODEL_INTEGRITY", message, false, options);
  }
}

/** SQLITE_BUSY and friends: worth another attempt. */
export class TransientDbError extends MlqError {
  constructor(message: string, options?: MlqErrorOptions) {
    super("TRANSIENT_DB", message, true, options);
  }
}

/** A file could not be written (permissions, disk full). */
export class OutputError extends MlqError {
  constructor(message: string, options?: MlqErrorOptions) {
    super("OUTPUT", message, false, options);
  }
}

/** The job was cancelled or timed out through its AbortSignal. */
export class AbortedError extends MlqError {
  constructor(message: string, options?: MlqErrorOptions) {
    super("ABORTED", message, false, options);
  }
}

/**
 * Not a failure: the run handed work to others (a retrain's search candidates, as child jobs) and
 * stops here; it continues from its checkpoint when that work is done. Audit rows stay open.
 */
export class SuspendedError extends MlqError {
  constructor(message: string, options?: MlqErrorOptions) {
    super("SUSPENDED", message, false, options);
  }
}

export function isSuspended(err: unknown): boolean {
  return err instanceof SuspendedError || (err as { name?: unknown } | null)?.name === "SuspendedError";
}

/** Throws an AbortedError carrying the signal's reason when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    const text = reason instanceof Error ? reason.message : typeof reason === "string" ? reason : "aborted";
    throw new AbortedError(text, { cause: reason });
  }
}

const TRANSIENT_SQLITE = new Set(["SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY_RECOVERY"]);

/** True when an error from better-sqlite3 is a lock contention that a retry can clear. */
export function isTransientSqliteError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && TRANSIENT_SQLITE.has(code);
}

/** One line describing any thrown value, for audit rows and CLI output. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n")[0] ?? err.name;
  return String(err);
}
