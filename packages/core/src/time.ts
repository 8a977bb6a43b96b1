export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Floors a millisecond timestamp to the start of its UTC day. */
export function utcDayStart(tsMs: number): number {
  return Math.floor(tsMs / DAY_MS) * DAY_MS;
}

export function isoUtc(tsMs: number): string {
  return new Date(tsMs).toISOString();
}
