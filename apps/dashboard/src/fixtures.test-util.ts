// A small migrated SQLite database with a bit of every table the dashboard reads.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openMigrated } from "@mlq/db";

export interface Fixture {
  dir: string;
  dbPath: string;
  modelsDir: string;
  cleanup(): void;
}

const DAY = 86_400_000;
export const T0 = Date.UTC(2026, 9, 1);

export function createFixture(opts: { tradesPerArm?: number; tagged?: boolean } = {}): Fixture {
  const dir = mkdtempSync(join(tmpdir(), "mlq-dash-"));
  const dbPath = join(dir, "trading.db");
  const modelsDir = join(dir, "models");
  const conn = openMigrated(dbPath, { create: true });
  const db = conn.sqlite;
  const iso = (ms: number) => new Date(ms).toISOString();
  db.transaction(() => {
    const run = db.prepare(
      `INSERT INTO phase2_retrain_runs (ts_ms, ts_iso, job_id, trigger_reason, gate_pass, success, status, training_rows, models_trained, duration_sec, metrics, slippage_mult, error_msg)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const gate = db.prepare("INSERT INTO phase2_gate_log (run_id, ts_ms, ts_iso, gate_name, passed, value, threshold, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    // risk carries the trivially-1 hit rate that runs recorded before SPEC §5 dropped it for non-negative targets.
    const metrics = JSON.stringify({
      direction: { auc: 0.61, accuracy: 0.57, log_loss: 0.68 },
      risk: { rmse: 0.004, mae: 0.003, r2: 0.2, hitRate: 1 },
      price: { rmse: 0.002, mae: 0.0015, r2: 0.01, hit_rate: 0.53 },
    });
    // The newest run stores its gate results with the regime gate's per-symbol data.
    const regimeSymbols = [
      { symbol: "BTC-USDT", paperMin: 2.91, paperMax: 68.6, historyLo: 23.92, historyHi: 35.83, paperDays: 16, historyDays: 21, counted: true, passed: true },
      { symbol: "ETH-USDT", paperMin: 31.5, paperMax: 88.2, historyLo: 30.1, historyHi: 52.4, paperDays: 16, historyDays: 21, counted: true, passed: false },
    ];
    const gateDetails = JSON.stringify([{ name: "regime_diversity", passed: false, value: 0.5, threshold: 1, details: "1 of 2 symbols …", symbols: regimeSymbols }]);
    for (let i = 0; i < 3; i++) {
      const ts = T0 + i * DAY;
      const ok = i !== 1;
      const id = Number(run.run(ts, iso(ts), `r${i}`, i === 2 ? "force" : "scheduled", ok ? 1 : 0, ok ? 1 : 0, ok ? "done" : "failed", 40_000 + i, ok ? 5 : 0, 61.5 + i, ok ? metrics : null, 2.0, ok ? null : "<b>gates failed</b>").lastInsertRowid);
      gate.run(id, ts, iso(ts), "paper_age", 1, 14 + i, 14, `${14 + i} days`);
      gate.run(id, ts, iso(ts), "trade_count", ok ? 1 : 0, ok ? 80 + i : 60, 75, null);
      gate.run(id, ts, iso(ts), "regime_diversity", 1, 1, 1, "Vol range [2.91, 68.60] vs 20th–80th [23.92, 35.83]");
      if (i === 2) db.prepare("UPDATE phase2_retrain_runs SET gate_details = ? WHERE id = ?").run(gateDetails, id);
    }
    const ab = db.prepare(
      `INSERT INTO ab_test_runs (ts_ms, ts_iso, job_id, arm_a_label, arm_b_label, split_method, arm_a_trades, arm_b_trades, arm_a_sharpe, arm_b_sharpe,
        arm_a_expectancy, arm_b_expectancy, arm_a_win_rate, arm_b_win_rate, arm_a_pf, arm_b_pf, p_b_better, swap_recommended, swap_executed, decision_reason, dry_run)
       VALUES (?, ?, ?, 'v1_backtest', 'v2_paper', 'temporal', 120, 110, 0.05, ?, 0.01, 0.02, 0.5, 0.55, 1.1, 1.3, ?, ?, ?, ?, 0)`,
    );
    ab.run(T0 + 3 * DAY, iso(T0 + 3 * DAY), "ab1", 0.04, 0.4, 0, 0, "P(B better) 0.40 < 0.90");
    const swapId = Number(ab.run(T0 + 4 * DAY, iso(T0 + 4 * DAY), "ab2", 0.09, 0.95, 1, 1, "Sharpe_B 0.09 >= Sharpe_A 0.05 with P=0.95").lastInsertRowid);
    db.prepare("INSERT INTO ab_active_model (id, active_arm, swapped_at, swap_run_id) VALUES (1, 'v2_paper', ?, ?)").run(iso(T0 + 4 * DAY), swapId);
    const payload = {
      version: 2,
      ema_slippage_per_side_pct: 0.045,
      assumed_slippage_per_side_pct: 0.06,
      position_size_multiplier: 1.2,
      time_of_day: {
        "00-06": { trades: 30, ema_slippage_per_side_pct: 0.03, position_size_multiplier: 1.2 },
        "06-12": { trades: 25, ema_slippage_per_side_pct: 0.05, position_size_multiplier: 1.2 },
        "12-18": { trades: 40, ema_slippage_per_side_pct: 0.08, position_size_multiplier: 0.75 },
        "18-24": { trades: 5, ema_slippage_per_side_pct: null, mean_slippage_per_side_pct: 0.02, position_size_multiplier: 1.2 },
      },
      regime_slippage: { trending: { trades: 50, ema_slippage_per_side_pct: 0.04, position_size_multiplier: 1.2 }, volatile: { trades: 20, ema_slippage_per_side_pct: 0.09, position_size_multiplier: 0.67 } },
      recommendations: ["Slippage is highest 12-18 UTC: size down."],
    };
    db.prepare("INSERT INTO calibration_runs (ts_ms, ts_iso, job_id, trades_analyzed, ema_slippage_per_side_pct, position_size_multiplier, payload) VALUES (?, ?, 'c1', 100, 0.045, 1.2, ?)").run(
      T0 + 2 * DAY,
      iso(T0 + 2 * DAY),
      JSON.stringify(payload),
    );
    const trade = db.prepare(
      "INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct, model_arm) VALUES ('BTC-USDT', 'long', 'closed', ?, ?, ?, ?)",
    );
    const n = opts.tradesPerArm ?? 20;
    for (let i = 0; i < 2 * n; i++) {
      const ts = T0 - 10 * DAY + i * (14 * DAY) / (2 * n);
      const isB = i >= n;
      trade.run(ts - 60_000, ts, Math.sin(i) * 0.5 + (isB ? 0.1 : 0.02), opts.tagged ? (isB ? "v2_paper" : "v1_backtest") : null);
    }
    db.prepare("INSERT INTO paper_trades (symbol, side, status, opened_ts_ms) VALUES ('ETH-USDT', 'short', 'open', ?)").run(T0);
  })();
  conn.close();
  return { dir, dbPath, modelsDir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeActiveModelJson(f: Fixture, text: string): void {
  mkdirSync(f.modelsDir, { recursive: true });
  writeFileSync(join(f.modelsDir, "active_model.json"), text);
}

/** Deletes every key under a test's queue prefix. */
export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const { Redis } = await import("ioredis");
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== "0");
  } finally {
    r.disconnect();
  }
}

export const testPrefix = () => `{mlqtest-${Math.random().toString(36).slice(2, 10)}}`;
