// Scenario 3: the trading bot keeps appending ticks (2,000/s, WAL) while mlq materializes
// candles and runs a full retrain on the same file. Promise: neither side fails with
// SQLITE_BUSY, no tick is lost, and the incrementally built candles equal a full rebuild.
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openMigrated } from "@mlq/db";
import { materializeCandles } from "@mlq/market-data";
import { CHILDREN_DIR, DEMO_END_MS, Fixture, appEntry, makeDemoDb, sleep, waitFor, type Spawned } from "./support.js";

let fx: Fixture;
beforeEach(() => {
  fx = new Fixture();
});
afterEach(async () => {
  await fx.cleanup();
});

interface WriterSummary {
  rows: number;
  transactions: number;
  errors: string[];
  elapsedSec: number;
  ratePerSec: number;
  worstMs: number;
  p99Ms: number;
  p50Ms: number;
}

async function exitOk(p: Spawned): Promise<void> {
  const { code, signal } = await p.exited;
  expect({ name: p.name, code, signal, busy: /SQLITE_BUSY|database is locked|busy/i.test(p.output()) }, p.output().slice(-3000)).toEqual({
    name: p.name,
    code: 0,
    signal: null,
    busy: false,
  });
}

const CANDLES = "SELECT symbol, bucket_ts_ms, open, high, low, close, ticks, volume FROM candles_1m ORDER BY symbol, bucket_ts_ms";

describe("concurrent tick writer", () => {
  it("writes at 2,000 ticks/s through candle materialization and a full retrain without SQLITE_BUSY on either side", async () => {
    const env = fx.mlqEnv({ MLQ_XGB_ROUNDS: "30" });
    const dbPath = env.MLQ_DB_PATH!;
    await makeDemoDb(dbPath);
    const cli = appEntry("cli");

    const writer = fx.spawnNode("tick-writer", join(CHILDREN_DIR, "tick-writer.mjs"), [dbPath, "2000", String(DEMO_END_MS + 1000)], {});
    await waitFor("the writer", () => (writer.output().includes("READY") ? true : undefined));
    await sleep(500);

    const started = Date.now();
    const candles = fx.spawnNode("candles-build", cli, ["candles", "build", "--db", dbPath, "--json"], env);
    await exitOk(candles);
    const retrain = fx.spawnNode("retrain", cli, ["retrain", "--local", "--force", "--db", dbPath, "--json"], env);
    await exitOk(retrain);
    const mlqSec = (Date.now() - started) / 1000;
    expect(retrain.output()).toMatch(/"outcome": "trained"/);

    writer.child.kill("SIGTERM");
    await writer.exited;
    const summary = JSON.parse(/SUMMARY (.*)/.exec(writer.output())?.[1] ?? "null") as WriterSummary | null;
    expect(summary, writer.output()).not.toBeNull();
    expect(summary!.errors).toEqual([]);
    expect(summary!.rows).toBeGreaterThan(0);

    // Nothing lost: every tick the writer committed is there, next to the demo's 200,000.
    const check = new Database(dbPath, { readonly: true });
    expect((check.prepare("SELECT count(*) AS n FROM ticks").get() as { n: number }).n).toBe(200_000 + summary!.rows);
    check.close();

    // Candles built while ticks kept arriving, caught up once more, equal a full rebuild.
    const conn = openMigrated(dbPath);
    try {
      materializeCandles(conn);
      const incremental = conn.sqlite.prepare(CANDLES).all();
      materializeCandles(conn, { rebuild: true });
      expect(conn.sqlite.prepare(CANDLES).all()).toEqual(incremental);
    } finally {
      conn.close();
    }

    console.log(
      `[reliability] concurrent writer: ${summary!.rows} ticks in ${summary!.elapsedSec.toFixed(1)} s (${Math.round(summary!.ratePerSec)}/s, ` +
        `${summary!.transactions} tx) during ${mlqSec.toFixed(1)} s of candles + retrain; 0 errors; commit latency ` +
        `p50 ${summary!.p50Ms.toFixed(1)} ms, p99 ${summary!.p99Ms.toFixed(1)} ms, worst ${summary!.worstMs.toFixed(1)} ms`,
    );
  });
});
