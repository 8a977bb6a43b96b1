// Stride sampling for quick looks and the dry-run: locate the window by rowid binary
// search, then fetch each sample by a point lookup, so cost is O(n · log(table size)).
import { DAY_MS, InputDataError } from "@mlq/core";
import type { Sqlite } from "@mlq/db";
import { locateWith, requireTicksTable, RowidSeeker } from "./tick-window.js";
import type { Tick, TickWindow } from "./types.js";

export interface SampleTicksOptions {
  /** Number of ticks wanted (fewer come back when the window holds fewer). */
  n: number;
  /** Window length when fromMs is not given. Default 14 days. */
  windowDays?: number;
  fromMs?: number;
  /** Exclusive end; default: just after the newest tick (or nowMs when given). */
  toMs?: number;
  symbol?: string;
  /** Anchor for the default window instead of the newest tick. */
  nowMs?: number;
}

export interface TickSample {
  ticks: Tick[];
  window: TickWindow & { fromMs: number; toMs: number };
  /** Point queries issued in total (window location + lookups). */
  probes: number;
}

const DEFAULT_WINDOW_DAYS = 14;

function isValidPrice(price: unknown): price is number {
  return typeof price === "number" && Number.isFinite(price) && price > 0;
}

export function sampleTicks(sqlite: Sqlite, options: SampleTicksOptions): TickSample | null {
  requireTicksTable(sqlite);
  const { n } = options;
  if (!Number.isInteger(n) || n < 1) throw new InputDataError(`sampleTicks: n must be a positive integer, got ${n}`);
  const windowDays = options.windowDays ?? DEFAULT_WINDOW_DAYS;
  if (!(windowDays > 0)) throw new InputDataError(`sampleTicks: windowDays must be positive, got ${windowDays}`);
  const seeker = new RowidSeeker(sqlite);

  let toMs = options.toMs ?? (options.nowMs === undefined ? undefined : options.nowMs + 1);
  if (toMs === undefined) {
    const newest = sqlite.prepare("SELECT ts_ms FROM ticks ORDER BY rowid DESC LIMIT 1").pluck().get() as number | undefined;
    seeker.probes++;
    if (newest === undefined) return null;
    toMs = newest + 1;
  }
  const fromMs = options.fromMs ?? toMs - windowDays * DAY_MS;
  if (!(toMs > fromMs)) throw new InputDataError(`sampleTicks: toMs (${toMs}) must be greater than fromMs (${fromMs})`);
  const window = locateWith(seeker, { fromMs, toMs });
  if (window === null) return null;

  const lookup = sqlite
    .prepare(
      options.symbol === undefined
        ? "SELECT rowid, ts_ms, symbol, price FROM ticks WHERE rowid >= ? AND rowid <= ? ORDER BY rowid LIMIT 1"
        : "SELECT rowid, ts_ms, symbol, price FROM ticks WHERE rowid >= ? AND rowid <= ? AND symbol = ? ORDER BY rowid LIMIT 1",
    )
    .raw(true);
  const args = options.symbol === undefined ? [] : [options.symbol];
  const span = window.endRowid - window.startRowid + 1;
  const step = span / n;
  const ticks: Tick[] = [];
  let next = window.startRowid;
  for (let i = 0; i < n && next <= window.endRowid; i++) {
    // Never step backwards: after a gap or a run of other symbols, continue after the row found.
    const target = Math.max(next, window.startRowid + Math.floor(i * step));
    let row = lookup.get(target, window.endRowid, ...args) as [number, number, string, unknown] | undefined;
    seeker.probes++;
    while (row !== undefined && !isValidPrice(row[3])) {
      row = lookup.get(row[0] + 1, window.endRowid, ...args) as [number, number, string, unknown] | undefined;
      seeker.probes++;
    }
    if (row === undefined) break;
    ticks.push({ rowid: row[0], tsMs: row[1], symbol: row[2], price: row[3] as number });
    next = row[0] + 1;
  }
  return { ticks, window: { ...window, fromMs, toMs, probes: window.probes }, probes: seeker.probes };
}

/**
 * The seed's original sampler, kept only as the benchmark baseline: `rowid % step` cannot
 * use the rowid B-tree, so SQLite visits every row from `startRowid` on.
 */
export function fullScanSample(sqlite: Sqlite, n: number, startRowid?: number): { tsMs: number; price: number }[] {
  requireTicksTable(sqlite);
  const [min, max] = sqlite.prepare("SELECT min(rowid), max(rowid) FROM ticks").raw(true).get() as [number | null, number | null];
  if (min === null || max === null) return [];
  const start = startRowid ?? min;
  const step = Math.max(1, Math.floor((max - start + 1) / n));
  const rows = sqlite.prepare("SELECT ts_ms, price FROM ticks WHERE rowid >= ? AND rowid % ? = 0").raw(true).all(start, step) as [
    number,
    number,
  ][];
  return rows.map(([tsMs, price]) => ({ tsMs, price }));
}
