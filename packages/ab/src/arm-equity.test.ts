import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "@mlq/core";
import { openMigrated, type Connection } from "@mlq/db";
import { registerAndOffer, saveModelSet } from "@mlq/registry";
import { armEquityCurves, equityCurves } from "./arm-equity.js";
import type { Attribution } from "./attribute-trades.js";
import { DEFAULT_AB_POLICY, evaluateArms } from "./evaluate-arms.js";

const counts = { unknownVersion: 0, unknownVersions: [], outside: 0, untaggedLeftOut: 0, unknownArm: 0 };
const attribution = (a: number[], b: number[], method: Attribution["method"] = "model_version"): Attribution => ({
  method,
  a: { returns: a, closeTsMs: a.map((_, i) => 100 + i) },
  b: { returns: b, closeTsMs: b.map((_, i) => 200 + i) },
  counts,
  temporalA: null,
});

describe("equityCurves", () => {
  it("sums each arm's pnl_pct in close order and keeps the versions and the attribution method", () => {
    expect(equityCurves(attribution([1, 2, -0.5], [2, -1]), { champion: "7", challenger: "9" })).toEqual({
      method: "model_version",
      champion: "7",
      challenger: "9",
      a: [1, 3, 2.5],
      b: [2, 1],
      aCloseTsMs: [100, 101, 102],
      bCloseTsMs: [200, 201],
    });
  });

  it("is empty, without a method, when no evaluation is in progress", () => {
    expect(equityCurves(null, { champion: "7", challenger: null })).toEqual({
      method: null,
      champion: "7",
      challenger: null,
      a: [],
      b: [],
      aCloseTsMs: [],
      bCloseTsMs: [],
    });
  });
});

describe("armEquityCurves", () => {
  const CH = Date.UTC(2026, 7, 1);
  const S = CH + 20 * DAY_MS; // the challenger takes the slot: the evaluation starts
  const NOW = S + 10 * DAY_MS;
  let dir: string;
  let conn: Connection;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mlq-ab-eq-"));
    const modelsDir = join(dir, "models");
    conn = openMigrated(join(dir, "bot.db"), { create: true });
    conn.sqlite.exec("ALTER TABLE paper_trades ADD COLUMN model_version TEXT");
    for (const [v, ts] of [
      ["1", CH],
      ["2", S],
    ] as const) {
      saveModelSet(modelsDir, v, {
        models: [{ name: "direction", bytes: Uint8Array.from([Number(v), 1, 2]) }],
        manifest: { featureNames: [], params: {}, dataWindow: {}, metrics: {} },
      });
      registerAndOffer(conn, modelsDir, {
        version: v,
        runId: null,
        trigger: "scheduled",
        nowMs: ts,
        policy: { alpha: 0.05, budget: 0.25 },
      });
    }
  });
  afterEach(() => {
    conn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is empty before a challenger holds the slot", () => {
    conn.sqlite.exec("DELETE FROM model_role_events WHERE version = '2'");
    conn.sqlite
      .prepare(
        "INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct) VALUES ('BTC', 'long', 'closed', ?, ?, 1)",
      )
      .run(S + HOUR_MS, S + 2 * HOUR_MS);
    expect(armEquityCurves(conn, DEFAULT_AB_POLICY, { nowMs: NOW })).toMatchObject({
      method: null,
      champion: "1",
      challenger: null,
      a: [],
      b: [],
    });
  });

  // Trades around the evaluation's start, tagged by version, by arm or not at all, some of them
  // open, unknown or without pnl: the curves must hold exactly the trades the decision measures.
  const row = fc.record({
    openedH: fc.integer({ min: -12 * 24, max: 11 * 24 }),
    durationH: fc.integer({ min: 0, max: 48 }),
    pnlPct: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: -300, max: 300 }).map((x) => x / 100) },
      { weight: 1, arbitrary: fc.constant(null) },
    ),
    modelArm: fc.constantFrom(null, null, null, "v1_backtest", "v2_paper", "v3_shadow", ""),
    modelVersion: fc.constantFrom(null, null, null, null, "1", "2", "9", ""),
    status: fc.constantFrom("closed", "closed", "closed", "open"),
  });

  it("has exactly the arms the decision measures, whatever the trades and their tags", () => {
    const insert = conn.sqlite.prepare(
      "INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct, model_arm, model_version) VALUES ('BTC', 'long', ?, ?, ?, ?, ?, ?)",
    );
    fc.assert(
      fc.property(fc.array(row, { maxLength: 30 }), (rows) => {
        conn.sqlite.exec("DELETE FROM paper_trades");
        for (const r of rows) {
          const opened = S + r.openedH * HOUR_MS;
          insert.run(r.status, opened, r.status === "closed" ? opened + r.durationH * HOUR_MS : null, r.pnlPct, r.modelArm, r.modelVersion);
        }
        const eq = armEquityCurves(conn, DEFAULT_AB_POLICY, { nowMs: NOW });
        const ev = evaluateArms(conn, DEFAULT_AB_POLICY, { nowMs: NOW });
        expect([eq.method, eq.champion, eq.challenger]).toEqual([ev.attribution?.method ?? null, "1", "2"]);
        expect([eq.a.length, eq.b.length]).toEqual([ev.a.trades, ev.b.trades]);
        expect(eq.a.at(-1) ?? 0).toBeCloseTo((ev.a.expectancy ?? 0) * ev.a.trades, 9);
        expect(eq.b.at(-1) ?? 0).toBeCloseTo((ev.b.expectancy ?? 0) * ev.b.trades, 9);
        for (const ts of [eq.aCloseTsMs, eq.bCloseTsMs]) expect(ts).toEqual([...ts].sort((x, y) => x - y));
      }),
      { numRuns: 60 },
    );
  });
});
