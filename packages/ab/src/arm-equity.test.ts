import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openMigrated, type Connection } from "@mlq/db";
import { armEquityCurves, equityCurves } from "./arm-equity.js";
import { DEFAULT_SWAP_POLICY } from "./decide-swap.js";
import { evaluateArms } from "./evaluate-arms.js";
import { splitArms, type SplitTrade } from "./ab-trade.js";

const t = (id: number, closedTsMs: number, pnlPct: number, modelArm: string | null = null): SplitTrade => ({ id, closedTsMs, pnlPct, modelArm });
const curves = (trades: SplitTrade[], lastRetrainTsMs: number | null) => equityCurves(splitArms(trades, { lastRetrainTsMs, hasModelArm: true }));

describe("equityCurves", () => {
  it("splits by model_arm when a trade carries an arm label, leaving untagged trades out", () => {
    expect(curves([t(1, 1, 1, "v1_backtest"), t(2, 2, 2, "v2_paper"), t(3, 3, 5, null), t(4, 4, -1, "v2_paper")], 2)).toEqual({
      method: "model_arm",
      boundaryTsMs: null,
      untagged: 1,
      a: [1],
      b: [2, 1],
    });
  });

  it("splits at the last successful retrain otherwise, a trade closed exactly then going to arm A", () => {
    expect(curves([t(1, 1, 1), t(2, 2, 2), t(3, 3, -0.5), t(4, 4, 1)], 3)).toEqual({ method: "temporal", boundaryTsMs: 3, untagged: 0, a: [1, 3, 2.5], b: [1] });
  });

  it("splits in time when model_arm holds only values that are not arm labels", () => {
    expect(curves([t(1, 1, 1, "v3_shadow"), t(2, 5, 2, "")], 3)).toEqual({ method: "temporal", boundaryTsMs: 3, untagged: 0, a: [1], b: [2] });
  });

  it("puts every trade in arm A before the first retrain", () => {
    expect(curves([t(1, 1, 1), t(2, 3, 2)], null)).toEqual({ method: "temporal", boundaryTsMs: null, untagged: 0, a: [1, 3], b: [] });
  });
});

describe("armEquityCurves", () => {
  let dir: string;
  let conn: Connection;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mlq-ab-eq-"));
    conn = openMigrated(join(dir, "bot.db"), { create: true });
  });
  afterEach(() => {
    conn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const row = fc.record({
    closedTsMs: fc.integer({ min: 0, max: 20 }),
    pnlPct: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -300, max: 300 }).map((x) => x / 100) }, { weight: 1, arbitrary: fc.constant(null) }),
    modelArm: fc.constantFrom(null, null, null, "v1_backtest", "v2_paper", "v3_shadow", ""),
    status: fc.constantFrom("closed", "closed", "closed", "open"),
  });

  it("has exactly the arms the decision measures, whatever the trades and the retrain time", () => {
    const insert = conn.sqlite.prepare(
      "INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct, model_arm) VALUES ('BTC', 'long', ?, 0, ?, ?, ?)",
    );
    fc.assert(
      fc.property(fc.array(row, { maxLength: 25 }), fc.option(fc.integer({ min: 0, max: 20 })), (rows, retrainTs) => {
        conn.sqlite.exec("DELETE FROM paper_trades; DELETE FROM phase2_retrain_runs;");
        for (const r of rows) insert.run(r.status, r.closedTsMs, r.pnlPct, r.modelArm);
        if (retrainTs !== null)
          conn.sqlite
            .prepare("INSERT INTO phase2_retrain_runs (ts_ms, ts_iso, trigger_reason, success, status, models_trained) VALUES (?, 'x', 'scheduled', 1, 'done', 5)")
            .run(retrainTs);
        const eq = armEquityCurves(conn);
        const ev = evaluateArms(conn, DEFAULT_SWAP_POLICY);
        expect([eq.method, eq.boundaryTsMs, eq.untagged]).toEqual([ev.splitMethod, ev.boundaryTsMs, ev.untagged]);
        expect([eq.a.length, eq.b.length]).toEqual([ev.a.trades, ev.b.trades]);
        expect(eq.a.at(-1) ?? 0).toBeCloseTo((ev.a.expectancy ?? 0) * ev.a.trades, 9);
        expect(eq.b.at(-1) ?? 0).toBeCloseTo((ev.b.expectancy ?? 0) * ev.b.trades, 9);
      }),
      { numRuns: 60 },
    );
  });
});
