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
  /** The located window; null when the table or the window is empty (then `ticks` is []). */
  window: (TickWindow & { fromMs: number; toMs: number }) | null;
  /** Point queries issued in total (window location + lookups). */
  probes: number;
}

const DEFAULT_WINDOW_DAYS = 14;

export function sampleTicks(sqlite: Sqlite, options: SampleTicksOptions): TickSample {
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
    if (newest === undefined) return { ticks: [], window: null, probes: seeker.probes };
    toMs = newest + 1;
  }
  const fromMs = options.fromMs ?? toMs - windowDays * DAY_MS;
  if (!(toMs > fromMs)) throw new InputDataError(`sampleTicks: toMs (${toMs}) must be greater than fromMs (${fromMs})`);
  const window = locateWith(seeker, { fromMs, toMs });
  if (window === null) return { ticks: [], window: null, probes: seeker.probes };

  // The window is cut into n equal rowid segments; each contributes its first usable tick.
  // Pass 1 fetches every segment's first rowid exactly (one B-tree seek each, all inside one
  // statement: about twice as fast as n calls from JS). Pass 2 searches only the segments that
  // missed (a rowid gap, a bad price, another symbol), each seek bounded by its own segment so
  // a rare symbol never scans ahead: total work stays ≤ the window, ~n seeks for dense data.
  const step = (window.endRowid - window.startRowid + 1) / n;
  const params = { n, start: window.startRowid, end: window.endRowid, step };
  // Plain indexed loops, no Map, sort or iterator protocol: a one-shot CLI process runs this
  // before the JIT warms up, where the Map-and-sort version cost ~15 ms CPU of a ~45 ms sample.
  const picked = new Array<Tick | undefined>(n);
  const usable = (price: unknown, symbol: string): price is number =>
    typeof price === "number" && price > 0 && price <= Number.MAX_VALUE && (options.symbol === undefined || symbol === options.symbol);
  const exact = sqlite
    .prepare(
      `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < :n)
       SELECT k.i, t.rowid, t.ts_ms, t.symbol, t.price FROM k JOIN ticks t ON t.rowid = :start + CAST(k.i * :step AS INTEGER)
       WHERE k.i + 1 = :n OR CAST((k.i + 1) * :step AS INTEGER) > CAST(k.i * :step AS INTEGER)`,
    )
    .raw(true)
    .all({ n, start: params.start, step }) as [number, number, number, string, unknown][];
  seeker.probes += n;
  let found = 0;
  for (let r = 0; r < exact.length; r++) {
    const row = exact[r]!;
    const price = row[4];
    if (usable(price, row[3])) {
      picked[row[0]] = { rowid: row[1], tsMs: row[2], symbol: row[3], price };
      found++;
    }
  }
  const missing: number[] = [];
  if (found < n) {
    // Same truncation as SQLite's CAST: a segment is empty when n exceeds the window.
    for (let i = 0; i < n; i++) if (picked[i] === undefined && (i + 1 === n || Math.trunc((i + 1) * step) > Math.trunc(i * step))) missing.push(i);
  }
  if (missing.length > 0) {
    const symbolFilter = options.symbol === undefined ? "" : "AND symbol = :symbol";
    const rest = sqlite
      .prepare(
        `WITH seg(i, lo, hi) AS (
           SELECT value, :start + CAST(value * :step AS INTEGER),
                  CASE WHEN value + 1 = :n THEN :end + 1 ELSE :start + CAST((value + 1) * :step AS INTEGER) END
           FROM json_each(:missing))
         SELECT seg.i, t.rowid, t.ts_ms, t.symbol, t.price FROM seg JOIN ticks t ON t.rowid = (
           SELECT rowid FROM ticks
           WHERE rowid >= seg.lo AND rowid < seg.hi AND price > 0 AND price <= ${Number.MAX_VALUE} ${symbolFilter}
           ORDER BY rowid LIMIT 1)`,
      )
      .raw(true)
      .all({ ...params, missing: JSON.stringify(missing), ...(options.symbol === undefined ? {} : { symbol: options.symbol }) }) as [
      number,
      number,
      number,
      string,
      number,
    ][];
    seeker.probes += missing.length;
    for (const [i, rowid, tsMs, symbol, price] of rest) picked[i] = { rowid, tsMs, symbol, price };
  }
  const ticks: Tick[] = [];
  for (let i = 0; i < n; i++) {
    const tick = picked[i];
    if (tick !== undefined) ticks.push(tick);
  }
  return { ticks, window: { ...window, fromMs, toMs, probes: window.probes }, probes: seeker.probes };
}

/**
 * The seed's original sampler, kept only as the benchmark baseline: `rowid % step` cannot
 * use the rowid B-tree, so SQLite visits every row from `startRowid` on.
 */
export function fullScanSample(sqlite: Sqlite, n: number, startRowid?: number): { tsMs: number; price: number }[] {
  requireTicksTable(sqlite);
  const [min, max] = sqlite.prepare("SELECT (SELECT min(rowid) FROM ticks), (SELECT max(rowid) FROM ticks)").raw(true).get() as [
    number | null,
    number | null,
  ];
  if (min === null || max === null) return [];
  const start = startRowid ?? min;
  const step = Math.max(1, Math.floor((max - start + 1) / n));
  const rows = sqlite.prepare("SELECT ts_ms, price FROM ticks WHERE rowid >= ? AND rowid % ? = 0").raw(true).all(start, step) as [
    number,
    number,
  ][];
  return rows.map(([tsMs, price]) => ({ tsMs, price }));
}
