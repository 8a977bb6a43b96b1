// A registry + database for the monitor tests: versions saved in a temp models dir, a role history
// built with @mlq/registry's own writers, and closed paper trades (optionally tagged by version).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DAY_MS, silentLogger, type Logger } from "@mlq/core";
import { openMigrated, tableColumns, writeTx, type Connection } from "@mlq/db";
import { fillSlotWithAlpha, recordChampionChange, registerVersion, saveModelSet, syncRoleFiles, type ModelFile } from "@mlq/registry";
import { DEFAULT_AB_POLICY } from "../evaluate-arms.js";
import type { MonitorPolicy } from "./run-monitor.js";

export const T0 = Date.UTC(2026, 0, 1);
export const HOUR_MS = 3_600_000;

export const POLICY: MonitorPolicy = Object.freeze({
  referenceSharpe: 0.05,
  decaySharpe: -0.1,
  tradesPerDay: 20,
  maxFalseAlarmsPerYear: 0.5,
  rollback: true,
  ab: DEFAULT_AB_POLICY,
});

/** Five small files per version; their bytes need not be real models for the registry. */
export function fakeModels(seed: number): ModelFile[] {
  return ["direction", "risk", "price", "momentum", "volatility"].map((name, k) => ({
    name,
    objective: name === "direction" ? "binary:logistic" : "reg:squarederror",
    bytes: Uint8Array.from({ length: 48 + k }, (_, i) => (seed * 31 + k * 7 + i) & 0xff),
  }));
}

export interface MonitorFixture {
  readonly dir: string;
  readonly modelsDir: string;
  readonly dbPath: string;
  readonly conn: Connection;
  cleanup(): void;
}

export function monitorFixture(versions: readonly number[] = [1, 2, 3]): MonitorFixture {
  const dir = mkdtempSync(join(tmpdir(), "mlq-monitor-"));
  const modelsDir = join(dir, "models");
  const dbPath = join(dir, "bot.db");
  const conn = openMigrated(dbPath, { create: true });
  for (const v of versions)
    saveModelSet(modelsDir, v, {
      models: fakeModels(v),
      manifest: {
        featureNames: ["ret_1", "rsi_14"],
        params: { rounds: 5 },
        dataWindow: { from_ms: T0 - 30 * DAY_MS, to_ms: T0 },
        metrics: {},
      },
    });
  return {
    dir,
    modelsDir,
    dbPath,
    conn,
    cleanup: () => {
      conn.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const ALPHA = { alpha: 0.05, budget: 0.25 };

/** Registers `version` (the first becomes champion) and lets it take a free evaluation slot. */
export function register(fx: MonitorFixture, version: string, tsMs: number): void {
  registerVersion(fx.conn, fx.modelsDir, { version, runId: null, trigger: "scheduled", nowMs: tsMs });
  fillSlotWithAlpha(fx.conn, { nowMs: tsMs, policy: ALPHA });
  syncRoleFiles(fx.conn, fx.modelsDir, silentLogger);
}

/** The challenger `version` wins its A/B at `tsMs` (as runAbEvaluation records a promotion). */
export function promote(fx: MonitorFixture, version: string, previous: string, tsMs: number): void {
  writeTx(fx.conn, () =>
    recordChampionChange(fx.conn, fx.modelsDir, {
      tsMs,
      event: "promote",
      version,
      role: "champion",
      previousVersion: previous,
      runId: null,
      trigger: "ab-eval",
      reason: "test: won its A/B",
    }),
  );
  syncRoleFiles(fx.conn, fx.modelsDir, silentLogger);
}

/** 1 champion at T0, 2 challenger from T0 + 1 d, promoted at T0 + 10 d: champion 2, previous champion 1. */
export function championWithPrevious(fx: MonitorFixture): { promotedAt: number } {
  register(fx, "1", T0);
  register(fx, "2", T0 + DAY_MS);
  const promotedAt = T0 + 10 * DAY_MS;
  promote(fx, "2", "1", promotedAt);
  return { promotedAt };
}

export interface TradeRow {
  readonly openedTsMs: number;
  readonly pnlPct: number | null;
  readonly modelArm?: string | null;
  readonly modelVersion?: string | null;
  /** Default: opened + 30 min. */
  readonly closedTsMs?: number;
}

/** Inserts closed trades; adds the bot's optional `model_version` column when a row uses it. */
export function insertTrades(conn: Connection, rows: readonly TradeRow[]): void {
  if (rows.some((r) => r.modelVersion !== undefined) && !tableColumns(conn.sqlite, "paper_trades").has("model_version"))
    conn.sqlite.exec("ALTER TABLE paper_trades ADD COLUMN model_version TEXT");
  const withVersion = tableColumns(conn.sqlite, "paper_trades").has("model_version");
  const stmt = conn.sqlite.prepare(
    `INSERT INTO paper_trades (symbol, side, status, opened_ts_ms, closed_ts_ms, pnl_pct, model_arm${withVersion ? ", model_version" : ""})
     VALUES ('BTC-USDT', 'long', 'closed', ?, ?, ?, ?${withVersion ? ", ?" : ""})`,
  );
  conn.sqlite.transaction(() => {
    for (const r of rows) {
      const args: unknown[] = [r.openedTsMs, r.closedTsMs ?? r.openedTsMs + 30 * 60_000, r.pnlPct, r.modelArm ?? null];
      if (withVersion) args.push(r.modelVersion ?? null);
      stmt.run(...args);
    }
  })();
}

/** 30 warm-up trades alternating +1 / −1, then `losses` trades of −2 (%): a champion that decays. */
export function decayingReturns(losses = 40): number[] {
  return [...Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 1 : -1)), ...Array.from({ length: losses }, () => -2)];
}

/** Alternating +1.1 / −0.9: mean 0.1, per-trade Sharpe ≈ 0.1, above the reference. */
export function healthyReturns(n = 400): number[] {
  return Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1.1 : -0.9));
}

/** One trade an hour from `startMs`, with the given returns and tags. */
export function hourly(
  startMs: number,
  returns: readonly number[],
  tags: Omit<TradeRow, "openedTsMs" | "pnlPct" | "closedTsMs"> = {},
): TradeRow[] {
  return returns.map((pnlPct, i) => ({ openedTsMs: startMs + i * HOUR_MS, pnlPct, ...tags }));
}

/** Row counts of every table: a run that must write nothing leaves them all equal. */
export function tableCounts(conn: Connection): Record<string, number> {
  const tables = conn.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
  return Object.fromEntries(
    tables.map(({ name }) => [name, (conn.sqlite.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n]),
  );
}

export interface CapturedLogger extends Logger {
  readonly lines: { level: string; msg: string; fields?: Record<string, unknown> }[];
}

export function captureLogger(): CapturedLogger {
  const lines: CapturedLogger["lines"] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, msg, ...(fields ? { fields } : {}) });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
