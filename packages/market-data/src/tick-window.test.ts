import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputDataError } from "@mlq/core";
import { openDatabase } from "@mlq/db";
import { join } from "node:path";
import { insertTicks, tempDb, type TempDb } from "./fixtures.test-util.js";
import { locateTickWindow } from "./tick-window.js";

let t: TempDb;
beforeEach(() => {
  t = tempDb();
});
afterEach(() => t.dispose());

/** Rowid i (1-based) gets ts = 1000·(i−1). */
function seed(n: number): void {
  insertTicks(
    t.conn,
    Array.from({ length: n }, (_, i) => ({ tsMs: 1000 * i, symbol: "BTC", price: 100, size: 1 })),
  );
}

describe("locateTickWindow", () => {
  it.each([
    ["inside the table", { fromMs: 10_000, toMs: 20_000 }, { startRowid: 11, endRowid: 20, firstTsMs: 10_000, lastTsMs: 19_000 }],
    ["between two ticks", { fromMs: 10_500, toMs: 19_500 }, { startRowid: 12, endRowid: 20, firstTsMs: 11_000, lastTsMs: 19_000 }],
    ["open-ended", { fromMs: 95_000 }, { startRowid: 96, endRowid: 100, firstTsMs: 95_000, lastTsMs: 99_000 }],
    ["starting before the first tick", { fromMs: -5_000, toMs: 2_000 }, { startRowid: 1, endRowid: 2, firstTsMs: 0, lastTsMs: 1_000 }],
    ["a single tick", { fromMs: 42_000, toMs: 42_001 }, { startRowid: 43, endRowid: 43, firstTsMs: 42_000, lastTsMs: 42_000 }],
  ])("finds the rowid range of a window %s", (_label, query, expected) => {
    seed(100);
    expect(locateTickWindow(t.conn.sqlite, query)).toMatchObject(expected);
  });

  it.each([
    ["after the newest tick", { fromMs: 100_000 }],
    ["before the first tick", { fromMs: -10_000, toMs: 0 }],
    ["between two ticks", { fromMs: 10_100, toMs: 10_900 }],
  ])("returns null for an empty window %s", (_label, query) => {
    seed(100);
    expect(locateTickWindow(t.conn.sqlite, query)).toBeNull();
  });

  it("returns null for an empty table", () => {
    expect(locateTickWindow(t.conn.sqlite, { fromMs: 0 })).toBeNull();
  });

  it("lands on the next existing row across rowid gaps", () => {
    seed(100);
    t.conn.sqlite.prepare("DELETE FROM ticks WHERE rowid BETWEEN 5 AND 60").run();
    expect(locateTickWindow(t.conn.sqlite, { fromMs: 10_000, toMs: 70_000 })).toMatchObject({ startRowid: 61, endRowid: 70 });
    expect(locateTickWindow(t.conn.sqlite, { fromMs: 10_000, toMs: 30_000 })).toBeNull();
  });

  it.each([
    ["a far-future", 9e12],
    ["a far-past", -9e12],
  ])("is not misled by %s out-of-order tick in the middle", (_label, badTs) => {
    seed(1000);
    t.conn.sqlite.prepare("UPDATE ticks SET ts_ms = ? WHERE rowid = 500").run(badTs);
    for (const fromMs of [100_000, 498_000, 502_000, 900_000]) {
      const w = locateTickWindow(t.conn.sqlite, { fromMs, toMs: fromMs + 10_000 })!;
      expect(w.startRowid).toBe(fromMs / 1000 + 1);
      expect(w.endRowid).toBe(fromMs / 1000 + 10);
    }
  });

  it("needs O(log n) probes on 100,000 ticks", () => {
    seed(100_000);
    const w = locateTickWindow(t.conn.sqlite, { fromMs: 31_337_000, toMs: 77_000_000 })!;
    expect(w).toMatchObject({ startRowid: 31_338, endRowid: 77_000 });
    expect(w.probes).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(100_000)) + 6);
  });

  it("matches a linear scan on random time-ordered tables with gaps", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 120 }),
        fc.array(fc.boolean(), { minLength: 120, maxLength: 120 }),
        fc.integer({ min: -100, max: 3_000 }),
        fc.integer({ min: 1, max: 3_000 }),
        (deltas, keep, fromMs, width) => {
          t.conn.sqlite.prepare("DELETE FROM ticks").run();
          let ts = 0;
          const rows = deltas.map((d) => ({ tsMs: (ts += d), symbol: "X", price: 1, size: null }));
          insertTicks(t.conn, rows);
          const ids = t.conn.sqlite.prepare("SELECT rowid FROM ticks ORDER BY rowid").pluck().all() as number[];
          ids.forEach((id, i) => {
            if (!keep[i]) t.conn.sqlite.prepare("DELETE FROM ticks WHERE rowid = ?").run(id);
          });
          const all = t.conn.sqlite.prepare("SELECT rowid, ts_ms FROM ticks ORDER BY rowid").raw(true).all() as [number, number][];
          const inside = all.filter(([, ts]) => ts >= fromMs && ts < fromMs + width);
          const w = locateTickWindow(t.conn.sqlite, { fromMs, toMs: fromMs + width });
          if (inside.length === 0) expect(w).toBeNull();
          else expect(w).toMatchObject({ startRowid: inside[0]![0], endRowid: inside[inside.length - 1]![0] });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("rejects toMs ≤ fromMs with an InputDataError", () => {
    expect(() => locateTickWindow(t.conn.sqlite, { fromMs: 5, toMs: 5 })).toThrow(InputDataError);
  });

  it("names the table and path when ticks is missing", () => {
    const bare = openDatabase(join(t.dir, "bare.db"), { create: true });
    try {
      expect(() => locateTickWindow(bare.sqlite, { fromMs: 0 })).toThrow(/ticks table missing in .*bare\.db/);
    } finally {
      bare.close();
    }
  });
});
