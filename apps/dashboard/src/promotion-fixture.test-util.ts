// A database that went through the promotion loop for real (registry + A/B runs, no hand-made
// rows): 1 champion, 2 challenger and promoted, 3 challenger, 4 and 5 waiting, the monitor rolls
// 2 back to 1 (3's evaluation restarts), one look of 1 vs 3 and a dry run since.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DAY_MS, HOUR_MS } from "@mlq/core";
import { openMigrated, type Connection } from "@mlq/db";
import { DEFAULT_AB_POLICY, runAbEvaluation, type AbAction, type AbSummary } from "@mlq/ab";
import { registerAndOffer, saveModelSet, syncRoleFiles } from "@mlq/registry";
import type { Fixture } from "./fixtures.test-util.js";

export const NOW = Date.UTC(2026, 9, 1);
const EVERY = 1.2 * HOUR_MS; // 20 trades a day per arm

export interface PromotionFixture extends Fixture {
  /** The runs that made the history, in order. */
  runs: { promote: AbSummary; look2v3: AbSummary; rollback: AbSummary; look1v3: AbSummary; dryRun: AbSummary };
  times: { championSince: number; promotedAt: number; challengerSince: number; rolledBackAt: number };
}

export function createPromotionFixture(): PromotionFixture {
  const dir = mkdtempSync(join(tmpdir(), "mlq-dash-promo-"));
  const dbPath = join(dir, "trading.db");
  const modelsDir = join(dir, "models");
  const conn = openMigrated(dbPath, { create: true });
  try {
    conn.sqlite.exec("ALTER TABLE paper_trades ADD COLUMN model_version TEXT");
    const retrain = (version: string, tsMs: number) => {
      saveModelSet(modelsDir, version, {
        models: [{ name: "direction", objective: "binary:logistic", bytes: Uint8Array.from([Number(version), 1, 2, 3]) }],
        manifest: { featureNames: ["ret_1"], params: {}, dataWindow: {}, metrics: {} },
      });
      registerAndOffer(conn, modelsDir, {
        version,
        runId: null,
        trigger: version === "5" ? "force" : "scheduled",
        nowMs: tsMs,
        policy: { alpha: 0.05, budget: 0.25 },
      });
      syncRoleFiles(conn, modelsDir, { debug() {}, info() {}, warn() {}, error() {} });
    };
    const ab = (action: AbAction, nowMs: number, extra: { trigger?: string; reason?: string } = {}) =>
      runAbEvaluation({ conn, modelsDir, nowMs, jobId: `ab-${nowMs}`, ...extra }, { action, policy: DEFAULT_AB_POLICY });

    const championSince = NOW - 60 * DAY_MS;
    const b = NOW - 50 * DAY_MS;
    retrain("1", championSince);
    retrain("2", b);
    trades(conn, "1", b, 15, 0.02);
    trades(conn, "2", b, 15, 0.4);
    const promotedAt = b + 15 * DAY_MS;
    const promote = ab("evaluate", promotedAt);

    const challengerSince = promotedAt + DAY_MS;
    retrain("3", challengerSince);
    retrain("4", promotedAt + 2 * DAY_MS);
    retrain("5", promotedAt + 3 * DAY_MS);
    trades(conn, "2", challengerSince, 10, 0.05);
    trades(conn, "3", challengerSince, 10, 0.05);
    const look2v3 = ab("evaluate", challengerSince + 10 * DAY_MS);

    const rolledBackAt = challengerSince + 10 * DAY_MS + HOUR_MS;
    const rollback = ab("rollback", rolledBackAt, { trigger: "monitor", reason: "champion decayed: CUSUM 5.3 ≥ h 5.1" });
    trades(conn, "1", rolledBackAt, 12, 0.05);
    trades(conn, "3", rolledBackAt, 12, 0.08);
    const look1v3 = ab("evaluate", rolledBackAt + 12 * DAY_MS);
    trades(conn, "1", rolledBackAt + 12 * DAY_MS, 2, 0.05);
    trades(conn, "3", rolledBackAt + 12 * DAY_MS, 2, 0.08);
    const dryRun = ab("dry-run", rolledBackAt + 13 * DAY_MS);
    return {
      dir,
      dbPath,
      modelsDir,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
      runs: { promote, look2v3, rollback, look1v3, dryRun },
      times: { championSince, promotedAt, challengerSince, rolledBackAt },
    };
  } finally {
    conn.close();
  }
}

/** 20 closed trades a day tagged with `version`, opened from `from` for `days`: mean + sin wave. */
function trades(conn: Connection, version: string, from: number, days: number, mean: number): void {
  const stmt = conn.sqlite.prepare(
    "INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct, model_version) VALUES ('BTC-USDT', 'long', 'closed', ?, ?, ?, ?)",
  );
  const n = Math.round((days * DAY_MS) / EVERY);
  conn.sqlite.transaction(() => {
    for (let i = 0; i < n; i++) {
      const opened = Math.round(from + (i + 0.5) * EVERY);
      stmt.run(opened, opened + 30 * 60_000, mean + Math.sin(i * 1.7 + 0.3), version);
    }
  })();
}
