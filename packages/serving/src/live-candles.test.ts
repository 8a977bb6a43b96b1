import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listCandleSymbols, loadCandles } from "@mlq/market-data";
import { buildDataset, FEATURE_NAMES } from "@mlq/ml";
import { BARS_FOR_FEATURES, LiveCandleBook } from "./live-candles.js";
import { dbFixture, insertBars, randomBars, setOpenBucket, type DbFixture } from "./serving.test-util.js";

const START = Date.UTC(2026, 0, 5);

let fx: DbFixture;
beforeEach(() => {
  fx = dbFixture();
});
afterEach(() => fx.dispose());

/** Training's rows for every (symbol, bar) of the whole table, as buildDataset makes them. */
function trainingRows(): Map<string, Float64Array> {
  const series = listCandleSymbols(fx.conn.sqlite).map((symbol) => loadCandles(fx.conn.sqlite, { symbol }));
  const ds = buildDataset(series, { horizonBars: 15, costFraction: 0.001 });
  const out = new Map<string, Float64Array>();
  const nf = FEATURE_NAMES.length;
  for (let r = 0; r < ds.rows; r++) out.set(`${ds.symbols[ds.symbolIndex[r]!]}@${ds.ts[r]}`, ds.X.slice(r * nf, (r + 1) * nf));
  return out;
}

describe("LiveCandleBook", () => {
  it("serves, bar after bar, exactly the features training computes for the same bar (incremental == full rebuild)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 90 }), { minLength: 3, maxLength: 12 }),
        fc.integer({ min: 1, max: 1000 }),
        (chunks, seed) => {
          fx.conn.sqlite.exec("DELETE FROM candles_1m");
          const bars = { "AAA-USDT": randomBars(700, START, seed, [250]), "BBB-USDT": randomBars(700, START + 30_000, seed + 1) };
          const book = new LiveCandleBook({ overlapMs: 10 * 60_000 });
          const served = new Map<string, Float64Array>();
          let at = 150;
          insertBars(fx.conn, "AAA-USDT", bars["AAA-USDT"].slice(0, at));
          insertBars(fx.conn, "BBB-USDT", bars["BBB-USDT"].slice(0, at));
          for (const step of [0, ...chunks]) {
            const to = Math.min(700, at + step);
            for (const [symbol, all] of Object.entries(bars)) insertBars(fx.conn, symbol, all.slice(at, to));
            at = to;
            book.refresh(fx.conn.sqlite);
            for (const symbol of book.symbols()) {
              const s = book.features(symbol)!;
              if (s.kind === "ready") served.set(`${symbol}@${s.barTsMs}`, s.features);
            }
          }
          // Training's rows over the whole history: the later bars change no earlier feature, and they give
          // the bars served near the end their labels (the last H bars of a table have no training row).
          for (const [symbol, all] of Object.entries(bars)) insertBars(fx.conn, symbol, all.slice(at));
          const training = trainingRows();
          let compared = 0;
          for (const [key, features] of served) {
            const row = training.get(key);
            if (!row) continue; // a bar among the last H of the whole history
            expect(Array.from(features), key).toEqual(Array.from(row));
            compared++;
          }
          expect(compared).toBeGreaterThan(0);
        },
      ),
      { numRuns: 15 },
    );
  });

  it.each([
    [BARS_FOR_FEATURES - 30, 30],
    [BARS_FOR_FEATURES - 1, 1],
  ])("with %i bars in the segment it reports warming up with %i bars missing", (n, missing) => {
    insertBars(fx.conn, "AAA-USDT", randomBars(n, START, 3));
    const book = new LiveCandleBook();
    book.refresh(fx.conn.sqlite);
    expect(book.features("AAA-USDT")).toMatchObject({ kind: "warming-up", segmentBars: n, barsMissing: missing });
  });

  it("is ready with exactly BARS_FOR_FEATURES bars", () => {
    insertBars(fx.conn, "AAA-USDT", randomBars(BARS_FOR_FEATURES, START, 3));
    const book = new LiveCandleBook();
    book.refresh(fx.conn.sqlite);
    expect(book.features("AAA-USDT")?.kind).toBe("ready");
  });

  it("warms up again after a hole longer than maxGapMinutes, counting only the bars since it", () => {
    insertBars(fx.conn, "AAA-USDT", randomBars(300, START, 4, [280]));
    const book = new LiveCandleBook({ maxGapMinutes: 5 });
    book.refresh(fx.conn.sqlite);
    expect(book.features("AAA-USDT")).toMatchObject({ kind: "warming-up", segmentBars: 20, barsMissing: BARS_FOR_FEATURES - 20 });
  });

  it("serves a bar only once it is closed: a tick of a later minute (the watermark's open bar) closes it", () => {
    const bars = randomBars(200, START, 5);
    insertBars(fx.conn, "AAA-USDT", bars);
    setOpenBucket(fx.conn, "AAA-USDT", bars[199]!.ts);
    const book = new LiveCandleBook();
    book.refresh(fx.conn.sqlite);
    expect(book.features("AAA-USDT")).toMatchObject({ kind: "ready", barTsMs: bars[198]!.ts });
    const later = randomBars(1, bars[199]!.ts + 60_000, 6);
    insertBars(fx.conn, "AAA-USDT", later);
    setOpenBucket(fx.conn, "AAA-USDT", later[0]!.ts);
    expect(book.refresh(fx.conn.sqlite).changed).toEqual(["AAA-USDT"]);
    expect(book.features("AAA-USDT")).toMatchObject({ kind: "ready", barTsMs: bars[199]!.ts });
    expect(book.refresh(fx.conn.sqlite).changed).toEqual([]);
  });

  it("notices a held bar rewritten in the table (a late tick) and reloads the symbol", () => {
    const bars = randomBars(200, START, 7);
    insertBars(fx.conn, "AAA-USDT", bars);
    const book = new LiveCandleBook();
    book.refresh(fx.conn.sqlite);
    const before = book.features("AAA-USDT");
    insertBars(fx.conn, "AAA-USDT", [{ ...bars[195]!, high: bars[195]!.high * 1.01 }]);
    const r = book.refresh(fx.conn.sqlite);
    expect(r.reloaded).toEqual(["AAA-USDT"]);
    const after = book.features("AAA-USDT");
    expect(after?.kind === "ready" && before?.kind === "ready" && after.features).not.toEqual(before?.kind === "ready" && before.features);
    const fresh = new LiveCandleBook();
    fresh.refresh(fx.conn.sqlite);
    expect(fresh.features("AAA-USDT")).toEqual(after);
  });

  it("knows a symbol only once it has candles", () => {
    const book = new LiveCandleBook();
    book.refresh(fx.conn.sqlite);
    expect(book.symbols()).toEqual([]);
    expect(book.features("AAA-USDT")).toBeUndefined();
  });
});
