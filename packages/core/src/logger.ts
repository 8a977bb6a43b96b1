/** The four-method logger every package depends on; apps pass a winston child. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Progress reporter handed to long-running domain functions. */
export type ProgressFn = (progress: { stage: string; pct: number; detail?: string }) => void;

export const noProgress: ProgressFn = () => undefined;
