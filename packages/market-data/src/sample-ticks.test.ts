import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DAY_MS, InputDataError } from "@mlq/core";
import { insertTicks, tempDb, type TempDb } from "./fixtures.test-util.js";
import { fullScanSample, sampleTicks } from "./sample-ticks.js";

let t: TempDb;
beforeEach(() => {
  t = tempDb();
});
afterEach(() => t.dispose());

/** 1,000 ticks one second apart, alternating BTC (odd rowids) and ETH (even rowids). */
function seedAlternating(): void {
  insertTicks(
    t.conn,
    Array.from({ length: 1000 }, (_, i) => ({ tsMs: 1000 * i, symbol: i % 2 === 0 ? "BTC" : "ETH", price: 100 + i, size: 1 })),
  );
}

describe("sampleTicks", () => {
  it("takes evenly strided rowids from the window", () => {
    seedAlternating();
    const s = sampleTicks(t.conn.sqlite, { n: 10, fromMs: 0, toMs: 1_000_000 });
    expect(s.ticks.map((x) => x.rowid)).toEqual([1, 101, 201, 301, 401, 501, 601, 701, 801, 901]);
    expect(s.ticks[3]).toEqual({ rowid: 301, tsMs: 300_000, symbol: "BTC", price: 400 });
    expect(s.window).toMatchObject({ startRowid: 1, endRowid: 1000, fromMs: 0, toMs: 1_000_000 });
  });

  it("costs about one point query per sample plus a logarithmic search", () => {
    seedAlternating();
    const s = sampleTicks(t.conn.sqlite, { n: 50, fromMs: 0 });
    expect(s.ticks).toHaveLength(50);
    expect(s.probes).toBeLessThanOrEqual(50 + 2 * Math.ceil(Math.log2(1000)) + 8);
  });

  it("returns every tick once when n exceeds the window", () => {
    seedAlternating();
    const s = sampleTicks(t.conn.sqlite, { n: 100, fromMs: 10_000, toMs: 15_000 });
    expect(s.ticks.map((x) => x.rowid)).toEqual([11, 12, 13, 14, 15]);
  });

  it("keeps only the requested symbol", () => {
    seedAlternating();
    const s = sampleTicks(t.conn.sqlite, { n: 5, fromMs: 0, symbol: "ETH" });
    expect(s.ticks.map((x) => x.rowid)).toEqual([2, 202, 402, 602, 802]);
    expect(new Set(s.ticks.map((x) => x.symbol))).toEqual(new Set(["ETH"]));
  });

  it("skips ticks with unusable prices", () => {
    insertTicks(t.conn, [
      { tsMs: 0, symbol: "BTC", price: 0, size: null },
      { tsMs: 1, symbol: "BTC", price: -3, size: null },
      { tsMs: 2, symbol: "BTC", price: Infinity, size: null },
      { tsMs: 3, symbol: "BTC", price: 7, size: null },
    ]);
    expect(sampleTicks(t.conn.sqlite, { n: 1, fromMs: 0 })!.ticks).toEqual([{ rowid: 4, tsMs: 3, symbol: "BTC", price: 7 }]);
  });

  it("defaults to the last windowDays before the newest tick", () => {
    insertTicks(
      t.conn,
      [0, 5, 9, 10].map((d) => ({ tsMs: d * DAY_MS, symbol: "BTC", price: 1, size: null })),
    );
    const s = sampleTicks(t.conn.sqlite, { n: 10, windowDays: 2 });
    expect(s.ticks.map((x) => x.rowid)).toEqual([3, 4]);
    expect(s.window?.fromMs).toBe(8 * DAY_MS + 1);
  });

  it("anchors the default window at nowMs when given", () => {
    insertTicks(
      t.conn,
      [0, 5, 9, 10].map((d) => ({ tsMs: d * DAY_MS, symbol: "BTC", price: 1, size: null })),
    );
    expect(sampleTicks(t.conn.sqlite, { n: 10, windowDays: 6, nowMs: 5 * DAY_MS })!.ticks.map((x) => x.rowid)).toEqual([1, 2]);
  });

  it("returns min(n, window size) distinct, increasing rowids inside the window on a gapless table", () => {
    seedAlternating();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1200 }),
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 1, max: 1000 }),
        (n, from, width) => {
          const s = sampleTicks(t.conn.sqlite, { n, fromMs: from * 1000, toMs: (from + width) * 1000 });
          const rowids = s.ticks.map((x) => x.rowid);
          const inWindow = Math.min(width, 1000 - from);
          expect(rowids).toHaveLength(Math.min(n, inWindow));
          rowids.forEach((r, i) => {
            expect(r).toBeGreaterThanOrEqual(from + 1);
            expect(r).toBeLessThanOrEqual(from + inWindow);
            if (i > 0) expect(r).toBeGreaterThan(rowids[i - 1]!);
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("takes the first tick after a rowid gap and leaves a fully deleted segment out", () => {
    seedAlternating();
    t.conn.sqlite.prepare("DELETE FROM ticks WHERE rowid BETWEEN 101 AND 250").run();
    const s = sampleTicks(t.conn.sqlite, { n: 10, fromMs: 0 });
    expect(s.ticks.map((x) => x.rowid)).toEqual([1, 251, 301, 401, 501, 601, 701, 801, 901]);
  });

  it("equals the first usable tick of each rowid segment (random gaps, bad prices, symbol filter)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ keep: fc.boolean(), bad: fc.boolean(), eth: fc.boolean() }), { minLength: 1, maxLength: 150 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom(undefined, "ETH"),
        (rows, n, symbol) => {
          t.conn.sqlite.prepare("DELETE FROM ticks").run();
          insertTicks(
            t.conn,
            rows.map((r, i) => ({ tsMs: i, symbol: r.eth ? "ETH" : "BTC", price: r.bad ? 0 : 1 + i, size: null })),
          );
          rows.forEach((r, i) => {
            if (!r.keep) t.conn.sqlite.prepare("DELETE FROM ticks WHERE rowid = ?").run(i + 1);
          });
          const live = rows.map((r, i) => ({ ...r, rowid: i + 1 })).filter((r) => r.keep);
          const s = sampleTicks(t.conn.sqlite, { n, fromMs: 0, ...(symbol ? { symbol } : {}) });
          if (live.length === 0) {
            expect(s.window).toBeNull();
            return;
          }
          const start = live[0]!.rowid;
          const end = live[live.length - 1]!.rowid;
          const step = (end - start + 1) / n;
          const expected: number[] = [];
          for (let i = 0; i < n; i++) {
            const lo = start + Math.trunc(i * step);
            const hi = i + 1 === n ? end + 1 : start + Math.trunc((i + 1) * step);
            const hit = live.find((r) => r.rowid >= lo && r.rowid < hi && !r.bad && (symbol === undefined || r.eth));
            if (hit) expected.push(hit.rowid);
          }
          expect(s.ticks.map((x) => x.rowid)).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("returns no ticks and a null window for an empty table or window", () => {
    expect(sampleTicks(t.conn.sqlite, { n: 10 })).toMatchObject({ ticks: [], window: null });
    seedAlternating();
    expect(sampleTicks(t.conn.sqlite, { n: 10, fromMs: 5_000_000, toMs: 6_000_000 })).toMatchObject({ ticks: [], window: null });
  });

  it.each([0, -1, 2.5])("rejects n = %s", (n) => {
    expect(() => sampleTicks(t.conn.sqlite, { n })).toThrow(InputDataError);
  });
});

describe("fullScanSample", () => {
  it("reproduces the old rowid % step query", () => {
    seedAlternating();
    const s = fullScanSample(t.conn.sqlite, 10);
    expect(s).toHaveLength(10);
    expect(s[0]).toEqual({ tsMs: 99_000, price: 199 });
  });
});
