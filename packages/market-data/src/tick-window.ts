// Finds a time window in `ticks` without an index on ts_ms: ticks are appended in time
// order, so a binary search over rowid (every probe a B-tree seek) finds the boundaries.
import { InputDataError } from "@mlq/core";
import { tableExists, type Sqlite } from "@mlq/db";
import type { TickWindow } from "./types.js";

/**
 * Rows read per probe. The probe decides by the median timestamp of this many consecutive
 * rows, so an isolated out-of-order tick (clock jump, late insert) cannot steer the search.
 */
const PROBE_ROWS = 5;
const MEDIAN_INDEX = Math.floor(PROBE_ROWS / 2);

export interface TickWindowQuery {
  /** Inclusive lower bound (ms). */
  fromMs: number;
  /** Exclusive upper bound (ms); omitted = up to the newest tick. */
  toMs?: number;
}

export function requireTicksTable(sqlite: Sqlite): void {
  if (!tableExists(sqlite, "ticks"))
    throw new InputDataError(`ticks table missing in ${sqlite.name}`, { context: { path: sqlite.name, table: "ticks" } });
}

/** Cached statements for one search; better-sqlite3 statements are cheap to reuse. */
export class RowidSeeker {
  probes = 0;
  private readonly blockStmt;
  private readonly beforeStmt;
  private readonly boundsStmt;

  constructor(sqlite: Sqlite) {
    this.blockStmt = sqlite.prepare(`SELECT rowid, ts_ms FROM ticks WHERE rowid >= ? ORDER BY rowid LIMIT ${PROBE_ROWS * 2}`).raw(true);
    this.beforeStmt = sqlite.prepare("SELECT rowid, ts_ms FROM ticks WHERE rowid < ? ORDER BY rowid DESC LIMIT 1").raw(true);
    // Two subqueries: SQLite answers a lone min() or max() from the B-tree edge, but
    // `SELECT min(rowid), max(rowid)` in one aggregate scans the whole table.
    this.boundsStmt = sqlite.prepare("SELECT (SELECT min(rowid) FROM ticks), (SELECT max(rowid) FROM ticks)").raw(true);
  }

  bounds(): { min: number; max: number } | null {
    this.probes++;
    const [min, max] = this.boundsStmt.get() as [number | null, number | null];
    return min === null || max === null ? null : { min, max };
  }

  /** Up to 2·PROBE_ROWS rows starting at the first existing rowid ≥ `rowid` (rowids may have gaps). */
  blockAt(rowid: number): [number, number][] {
    this.probes++;
    return this.blockStmt.all(rowid) as [number, number][];
  }

  rowBefore(rowid: number): [number, number] | undefined {
    this.probes++;
    return this.beforeStmt.get(rowid) as [number, number] | undefined;
  }

  /**
   * First rowid in [lo, hi] where ticks reach `tsMs`, or hi + 1 when none do.
   * Exact on time-ordered data; with a few out-of-order ticks the answer is the rowid where
   * the local majority crosses `tsMs`, never a far-off position.
   */
  firstRowidAtOrAfter(tsMs: number, lo: number, hi: number): number {
    let left = lo;
    let right = hi + 1;
    while (left < right) {
      const mid = left + Math.floor((right - left) / 2);
      const block = this.blockAt(mid);
      const first = block[0];
      if (first === undefined || first[0] > hi) {
        right = mid;
        continue;
      }
      const probe = block
        .slice(0, PROBE_ROWS)
        .map((r) => r[1])
        .sort((a, b) => a - b);
      const median = probe[Math.min(MEDIAN_INDEX, probe.length - 1)]!;
      if (median >= tsMs) right = mid;
      // Jumping past the probed row (not just mid + 1) is what makes gaps free.
      else left = first[0] + 1;
    }
    // The median test lands up to MEDIAN_INDEX rows early. Within the block the boundary goes
    // where the fewest rows end up on the wrong side, so a stray tick next to it is left out.
    if (left > hi) return hi + 1;
    const block = this.blockAt(left).filter(([rowid]) => rowid <= hi);
    let wrong = block.filter(([, ts]) => ts < tsMs).length;
    let best = 0;
    let bestWrong = wrong;
    for (let p = 1; p <= block.length; p++) {
      wrong += block[p - 1]![1] >= tsMs ? 1 : -1;
      if (wrong < bestWrong) {
        bestWrong = wrong;
        best = p;
      }
    }
    if (best < block.length) return block[best]![0];
    const last = block[block.length - 1];
    return last === undefined ? hi + 1 : Math.min(last[0] + 1, hi + 1);
  }
}

/**
 * Locates the rowid range of ticks with fromMs ≤ ts_ms < toMs. Cost: O(log(table size))
 * point queries. Returns null for an empty table or an empty window.
 */
export function locateTickWindow(sqlite: Sqlite, query: TickWindowQuery): TickWindow | null {
  requireTicksTable(sqlite);
  if (!Number.isFinite(query.fromMs)) throw new InputDataError(`locateTickWindow: fromMs must be a finite number, got ${query.fromMs}`);
  if (query.toMs !== undefined && !(query.toMs > query.fromMs))
    throw new InputDataError(`locateTickWindow: toMs (${query.toMs}) must be greater than fromMs (${query.fromMs})`);
  const seeker = new RowidSeeker(sqlite);
  return locateWith(seeker, query);
}

export function locateWith(seeker: RowidSeeker, query: TickWindowQuery): TickWindow | null {
  const bounds = seeker.bounds();
  if (bounds === null) return null;
  const start = seeker.firstRowidAtOrAfter(query.fromMs, bounds.min, bounds.max);
  if (start > bounds.max) return null;
  const endExclusive = query.toMs === undefined ? bounds.max + 1 : seeker.firstRowidAtOrAfter(query.toMs, start, bounds.max);
  const lastRow = seeker.rowBefore(endExclusive);
  const firstRow = seeker.blockAt(start)[0];
  if (lastRow === undefined || firstRow === undefined || lastRow[0] < firstRow[0]) return null;
  return { startRowid: firstRow[0], endRowid: lastRow[0], firstTsMs: firstRow[1], lastTsMs: lastRow[1], probes: seeker.probes };
}
