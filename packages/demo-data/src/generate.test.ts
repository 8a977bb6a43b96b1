import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AbortedError, DAY_MS, InputDataError, percentile, std } from "@mlq/core";
import { openDatabase } from "@mlq/db";
import { generateDemoDatabase, type DemoSummary } from "./generate.js";
import type { DemoOptions } from "./options.js";

const END_MS = Date.UTC(2026, 10, 1, 9, 17);
const SMALL: Omit<DemoOptions, "out"> = { ticks: 20_000, trades: 60, days: 2, endMs: END_MS, seed: 11 };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-demo-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileCounter = 0;
const nextPath = () => join(dir, `demo-${++fileCounter}.db`);

function readAll<T>(path: string, sql: string): T[] {
  const conn = openDatabase(path, { readonly: true });
  try {
    return conn.sqlite.prepare(sql).raw().all() as T[];
  } finally {
    conn.close();
  }
}

function contentHash(path: string): string {
  const h = createHash("sha256");
  for (const row of readAll<unknown[]>(path, "SELECT rowid, ts_ms, symbol, price, size FROM ticks ORDER BY rowid")) h.update(JSON.stringify(row));
  for (const row of readAll<unknown[]>(path, "SELECT * FROM paper_trades ORDER BY id")) h.update(JSON.stringify(row));
  return h.digest("hex");
}

interface TradeRow {
  id: number;
  symbol: string;
  side: "long" | "short";
  status: "open" | "closed";
  opened_ts_ms: number;
  closed_ts_ms: number | null;
  entry_price: number;
  exit_price: number | null;
  signal_entry_price: number;
  signal_exit_price: number | null;
  qty: number;
  fees: number;
  pnl: number | null;
  pnl_pct: number | null;
  model_arm: string | null;
}

function trades(path: string): TradeRow[] {
  const conn = openDatabase(path, { readonly: true });
  try {
    return conn.sqlite.prepare("SELECT * FROM paper_trades ORDER BY id").all() as TradeRow[];
  } finally {
    conn.close();
  }
}

/** One-minute closes per symbol (last tick in rowid order), as the candle materializer builds them. */
function minuteCloses(path: string): Map<string, { minute: number; close: number }[]> {
  const bySymbol = new Map<string, Map<number, number>>();
  for (const [ts, symbol, price] of readAll<[number, string, number]>(path, "SELECT ts_ms, symbol, price FROM ticks ORDER BY rowid")) {
    let m = bySymbol.get(symbol);
    if (!m) bySymbol.set(symbol, (m = new Map()));
    m.set(Math.floor(ts / 60_000), price);
  }
  const out = new Map<string, { minute: number; close: number }[]>();
  for (const [symbol, m] of bySymbol) out.set(symbol, [...m].sort((a, b) => a[0] - b[0]).map(([minute, close]) => ({ minute, close })));
  return out;
}

describe("generateDemoDatabase", () => {
  it("is deterministic for a seed and differs for another seed", async () => {
    const a = nextPath();
    const b = nextPath();
    const c = nextPath();
    await generateDemoDatabase({ ...SMALL, out: a });
    await generateDemoDatabase({ ...SMALL, out: b });
    await generateDemoDatabase({ ...SMALL, out: c, seed: 12 });
    expect(contentHash(a)).toBe(contentHash(b));
    expect(contentHash(a)).not.toBe(contentHash(c));
  });

  it("writes exactly the requested ticks into a rowid table without an index on ts_ms, in WAL mode", async () => {
    const out = nextPath();
    const summary = await generateDemoDatabase({ ...SMALL, out, outOfOrderRate: 0 });
    expect(summary).toMatchObject({ path: out, ticks: 20_000, trades: 60, symbols: ["BTC-USDT", "ETH-USDT"] });
    const [[count, minTs, maxTs, nullSizes, nonPositive]] = readAll<number[]>(
      out,
      "SELECT count(*), min(ts_ms), max(ts_ms), sum(size IS NULL), sum(size <= 0 OR price <= 0) FROM ticks",
    ) as [number[]];
    expect(count).toBe(20_000);
    expect([minTs, maxTs]).toEqual([summary.fromMs, summary.toMs]);
    expect(minTs).toBeGreaterThanOrEqual(END_MS - 2 * DAY_MS - 60_000);
    expect(maxTs).toBeLessThan(END_MS);
    expect(nullSizes).toBeGreaterThan(0);
    expect(nullSizes).toBeLessThan(0.06 * 20_000);
    expect(nonPositive).toBe(0);
    const [[tableSql]] = readAll<string[]>(out, "SELECT sql FROM sqlite_master WHERE name = 'ticks'") as [string[]];
    expect(tableSql).not.toMatch(/WITHOUT ROWID/i);
    expect(readAll(out, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ticks'")).toEqual([]);
    expect(readAll(out, "PRAGMA journal_mode")).toEqual([["wal"]]);
    // mlq's own tables came with the migration.
    expect(readAll(out, "SELECT count(*) FROM sqlite_master WHERE name IN ('phase2_retrain_runs', 'candles_1m', 'calibration_runs')")).toEqual([[3]]);
    const backwards = readAll(out, "SELECT count(*) FROM (SELECT ts_ms, lag(ts_ms) OVER (ORDER BY rowid) AS prev FROM ticks) WHERE ts_ms < prev");
    expect(backwards).toEqual([[0]]);
  });

  it("plants only a rare few out-of-order timestamps, each a few ms backwards", async () => {
    const out = nextPath();
    await generateDemoDatabase({ ...SMALL, ticks: 100_000, out, outOfOrderRate: 1e-4 });
    const steps = readAll<[number]>(out, "SELECT prev - ts_ms FROM (SELECT ts_ms, lag(ts_ms) OVER (ORDER BY rowid) AS prev FROM ticks) WHERE ts_ms < prev").map((r) => r[0]);
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.length).toBeLessThan(50);
    for (const back of steps) expect(back).toBeLessThanOrEqual(5);
  });

  it("writes paper trades whose prices, fees and pnl agree, inside the tick range, with signal prices taken from ticks", async () => {
    const out = nextPath();
    const summary = await generateDemoDatabase({ ...SMALL, trades: 300, openTrades: 4, out });
    const rows = trades(out);
    expect(rows).toHaveLength(300);
    expect(summary.closedTrades).toBe(296);
    expect(rows.filter((t) => t.status === "open")).toHaveLength(4);
    const tickPrice = new Map(readAll<[string, number, number]>(out, "SELECT symbol, ts_ms, price FROM ticks").map(([s, ts, p]) => [`${s}@${ts}@${p}`, true]));
    for (const t of rows) {
      expect(t.opened_ts_ms).toBeGreaterThanOrEqual(summary.fromMs);
      expect(tickPrice.has(`${t.symbol}@${t.opened_ts_ms}@${t.signal_entry_price}`)).toBe(true);
      if (t.status === "open") {
        expect([t.closed_ts_ms, t.exit_price, t.signal_exit_price, t.pnl, t.pnl_pct]).toEqual([null, null, null, null, null]);
        continue;
      }
      expect(t.closed_ts_ms!).toBeGreaterThan(t.opened_ts_ms);
      expect(t.closed_ts_ms!).toBeLessThanOrEqual(summary.toMs);
      expect(tickPrice.has(`${t.symbol}@${t.closed_ts_ms}@${t.signal_exit_price}`)).toBe(true);
      const sign = t.side === "long" ? 1 : -1;
      expect(t.fees).toBeCloseTo(t.qty * (t.entry_price + t.exit_price!) * 0.0006, 9);
      expect(t.pnl!).toBeCloseTo(sign * t.qty * (t.exit_price! - t.entry_price) - t.fees, 9);
      expect(t.pnl_pct!).toBeCloseTo((t.pnl! / (t.qty * t.entry_price)) * 100, 9);
    }
    expect(new Set(rows.map((t) => t.model_arm))).toEqual(new Set(["v1_backtest", "v2_paper"]));
    const ids = rows.map((t) => t.id);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    const opens = rows.map((t) => t.opened_ts_ms);
    expect(opens).toEqual([...opens].sort((x, y) => x - y));
  });

  it("leaves model_arm NULL when arms is off", async () => {
    const out = nextPath();
    await generateDemoDatabase({ ...SMALL, arms: false, out });
    expect(new Set(trades(out).map((t) => t.model_arm))).toEqual(new Set([null]));
  });

  it("orders mean slippage by time-of-day bucket as designed: 06-12 > 12-18 > 18-24 > 00-06", async () => {
    const out = nextPath();
    await generateDemoDatabase({ ...SMALL, days: 6, paperDays: 6, trades: 4000, out });
    const sums = [0, 0, 0, 0];
    const counts = [0, 0, 0, 0];
    const add = (ts: number, pct: number) => {
      const bucket = Math.floor((ts % DAY_MS) / (6 * 3_600_000));
      sums[bucket]! += pct;
      counts[bucket]!++;
    };
    let favourable = 0;
    for (const t of trades(out).filter((r) => r.status === "closed")) {
      const sign = t.side === "long" ? 1 : -1;
      const entry = (sign * (t.entry_price - t.signal_entry_price)) / t.signal_entry_price;
      const exit = (sign * (t.signal_exit_price! - t.exit_price!)) / t.signal_exit_price!;
      add(t.opened_ts_ms, entry * 100);
      add(t.closed_ts_ms!, exit * 100);
      favourable += Number(entry < 0) + Number(exit < 0);
    }
    const means = sums.map((s, i) => s / counts[i]!);
    expect(means[1]!).toBeGreaterThan(means[2]!);
    expect(means[2]!).toBeGreaterThan(means[3]!);
    expect(means[3]!).toBeGreaterThan(means[0]!);
    expect(means[0]!).toBeGreaterThan(0.01);
    expect(means[1]!).toBeLessThan(0.1);
    expect(favourable).toBeGreaterThan(0);
  });

  describe("on the default 21-day scenario (fewer ticks)", () => {
    let out: string;
    let summary: DemoSummary;
    beforeAll(async () => {
      out = nextPath();
      // 3 ticks per symbol-minute keeps the test fast and still covers every minute.
      summary = await generateDemoDatabase({ out, ticks: 2 * 21 * 1440 * 3, endMs: END_MS });
    });

    /** Daily realized vol (annualized %) per (symbol, UTC day) as the regime gate computes it. */
    function dailyVols(): { symbol: string; day: number; vol: number }[] {
      const result: { symbol: string; day: number; vol: number }[] = [];
      for (const [symbol, closes] of minuteCloses(out)) {
        const byDay = new Map<number, number[]>();
        for (let i = 1; i < closes.length; i++) {
          const day = Math.floor((closes[i]!.minute * 60_000) / DAY_MS);
          const list = byDay.get(day) ?? [];
          list.push(Math.log(closes[i]!.close / closes[i - 1]!.close));
          byDay.set(day, list);
        }
        for (const [day, returns] of byDay) if (returns.length >= 60) result.push({ symbol, day, vol: std(returns, 1) * Math.sqrt(525_600) * 100 });
      }
      return result;
    }

    it("covers every minute of both symbols with candles", () => {
      const closes = minuteCloses(out);
      for (const list of closes.values()) expect(list.length).toBe(21 * 1440);
    });

    it("varies daily realized vol widely (max/min > 3)", () => {
      const vols = dailyVols().map((d) => d.vol);
      expect(Math.max(...vols) / Math.min(...vols)).toBeGreaterThan(3);
    });

    it("passes the gates the README demo relies on: paper age ≥ 14 d, ≥ 75 closed, regime diversity, ≥ 100 per arm", () => {
      const rows = trades(out);
      const firstOpen = Math.min(...rows.map((t) => t.opened_ts_ms));
      expect((summary.toMs - firstOpen) / DAY_MS).toBeGreaterThanOrEqual(14);
      const closed = rows.filter((t) => t.status === "closed");
      expect(closed.length).toBeGreaterThanOrEqual(75);
      for (const arm of ["v1_backtest", "v2_paper"]) expect(closed.filter((t) => t.model_arm === arm).length).toBeGreaterThanOrEqual(100);

      // The regime gate is per symbol: each symbol's paper range covers its own history's band.
      const daily = dailyVols();
      const paperDay = Math.floor(firstOpen / DAY_MS);
      for (const symbol of summary.symbols) {
        const own = daily.filter((d) => d.symbol === symbol);
        const all = own.map((d) => d.vol);
        const paper = own.filter((d) => d.day >= paperDay).map((d) => d.vol);
        expect(all.length, symbol).toBeGreaterThanOrEqual(7);
        expect(Math.min(...paper), symbol).toBeLessThanOrEqual(percentile(all, 20));
        expect(Math.max(...paper), symbol).toBeGreaterThanOrEqual(percentile(all, 80));
      }
    });

    it("makes v2_paper trades better on average than v1_backtest, with positive expectancy", () => {
      const closed = trades(out).filter((t) => t.status === "closed");
      const avg = (arm: string) => {
        const xs = closed.filter((t) => t.model_arm === arm).map((t) => t.pnl_pct!);
        return xs.reduce((a, b) => a + b, 0) / xs.length;
      };
      expect(avg("v2_paper")).toBeGreaterThan(avg("v1_backtest"));
      expect(avg("v2_paper")).toBeGreaterThan(0);
    });

    it("plants momentum: the past 15 minutes' return predicts the next 15 minutes' (corr > 0.03)", () => {
      const past: number[] = [];
      const next: number[] = [];
      for (const closes of minuteCloses(out).values()) {
        for (let i = 15; i + 15 < closes.length; i += 15) {
          past.push(Math.log(closes[i]!.close / closes[i - 15]!.close));
          next.push(Math.log(closes[i + 15]!.close / closes[i]!.close));
        }
      }
      const mp = past.reduce((a, b) => a + b, 0) / past.length;
      const mn = next.reduce((a, b) => a + b, 0) / next.length;
      let cov = 0;
      let vp = 0;
      let vn = 0;
      for (let i = 0; i < past.length; i++) {
        cov += (past[i]! - mp) * (next[i]! - mn);
        vp += (past[i]! - mp) ** 2;
        vn += (next[i]! - mn) ** 2;
      }
      expect(cov / Math.sqrt(vp * vn)).toBeGreaterThan(0.03);
    });
  });

  it("refuses to overwrite an existing file, naming it, and replaces it with overwrite", async () => {
    const out = nextPath();
    writeFileSync(out, "keep me");
    const attempt = generateDemoDatabase({ ...SMALL, out });
    await expect(attempt).rejects.toBeInstanceOf(InputDataError);
    await expect(generateDemoDatabase({ ...SMALL, out })).rejects.toThrow(out);
    const summary = await generateDemoDatabase({ ...SMALL, out, overwrite: true });
    expect(summary.ticks).toBe(20_000);
  });

  it("stops on abort without leaving the target or a temp file behind", async () => {
    const sub = mkdtempSync(join(dir, "abort-"));
    const out = join(sub, "demo.db");
    const controller = new AbortController();
    const run = generateDemoDatabase(
      { ...SMALL, ticks: 400_000, out },
      { signal: controller.signal, progress: (p) => p.stage === "ticks" && p.pct > 10 && controller.abort(new Error("operator cancelled")) },
    );
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(sub)).toEqual([]);
  });

  it("reports progress in increasing steps of about 1 % up to 100", async () => {
    const seen: number[] = [];
    await generateDemoDatabase({ ...SMALL, ticks: 300_000, out: nextPath() }, { progress: (p) => seen.push(p.pct) });
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(100);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.length).toBeGreaterThan(50);
  });

  it.each([
    [{ ticks: 0 }, /ticks must be/],
    [{ trades: -1 }, /trades must be/],
    [{ days: 0 }, /days must be/],
    [{ symbols: [] }, /at least one symbol/],
    [{ symbols: ["BTC-USDT", "BTC-USDT"] }, /duplicate symbol/],
    [{ symbols: ["bad symbol"] }, /invalid symbol/],
    [{ seed: 1.5 }, /seed must be/],
    [{ paperDays: 5 }, /paperDays must be/],
    [{ openTrades: 61 }, /openTrades must be/],
  ])("rejects %o with a one-line InputDataError", async (bad, message) => {
    const run = generateDemoDatabase({ ...SMALL, ...bad, out: nextPath() } as DemoOptions);
    await expect(run).rejects.toBeInstanceOf(InputDataError);
    await expect(generateDemoDatabase({ ...SMALL, ...bad, out: nextPath() } as DemoOptions)).rejects.toThrow(message);
  });

  it("rejects an output directory that does not exist", async () => {
    await expect(generateDemoDatabase({ ...SMALL, out: join(dir, "missing", "x.db") })).rejects.toThrow(/output directory does not exist/);
  });
});
