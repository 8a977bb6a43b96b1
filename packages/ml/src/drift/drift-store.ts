// SQL of the monitor's drift checks: `drift_checks` (one row per check: what fired, what was done)
// and `feature_drift` (PSI per version, symbol and feature), written in one short transaction.
import { isoUtc } from "@mlq/core";
import { writeTx, type Connection } from "@mlq/db";
import type { VersionDriftScore } from "./monitor-drift.js";

/** The feature name under which the direction model's probability PSI is stored. */
export const PREDICTION_DRIFT_FEATURE = "p_direction";

export type DriftCheckAction = "enqueued" | "deduplicated" | "cooldown" | "disabled" | "none" | "not-enqueued" | "enqueue-failed";

export interface DriftCheckRecord {
  readonly tsMs: number;
  readonly jobId: string | null;
  readonly champion: VersionDriftScore | null;
  readonly challenger: VersionDriftScore | null;
  readonly status: "scored" | "no baseline" | "no champion";
  readonly triggered: boolean;
  readonly action: DriftCheckAction;
  readonly retrainJobId: string | null;
  readonly reason: string;
  readonly details?: unknown;
}

/** Writes one check and its PSIs (one transaction); returns the check's id. */
export function recordDriftCheck(conn: Connection, record: DriftCheckRecord): number {
  const scored = [
    ["champion", record.champion],
    ["challenger", record.challenger],
  ] as const;
  const window = record.champion ?? record.challenger;
  return writeTx(conn, () => {
    const { sqlite } = conn;
    const id = Number(
      sqlite
        .prepare(
          `INSERT INTO drift_checks (ts_ms, ts_iso, job_id, champion, challenger, window_from_ms, window_to_ms, status, triggered, action, retrain_job_id, reason, details)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          record.tsMs,
          isoUtc(record.tsMs),
          record.jobId,
          record.champion?.version ?? null,
          record.challenger?.version ?? null,
          window && window.status === "scored" ? window.windowFromMs : null,
          window && window.status === "scored" ? window.windowToMs : null,
          record.status,
          record.triggered ? 1 : 0,
          record.action,
          record.retrainJobId,
          record.reason,
          record.details === undefined ? null : JSON.stringify(record.details),
        ).lastInsertRowid,
    );
    const insert = sqlite.prepare(
      `INSERT INTO feature_drift (check_id, ts_ms, version, role, symbol, feature, psi, threshold, over, window_from_ms, window_to_ms, window_hours, bars)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const [role, score] of scored) {
      if (!score) continue;
      const hours = (score.windowToMs - score.windowFromMs) / 3_600_000;
      for (const s of score.symbols) {
        const row = (feature: string, psi: number, threshold: number | null, over: boolean) =>
          insert.run(
            id,
            record.tsMs,
            score.version,
            role,
            s.symbol,
            feature,
            psi,
            threshold,
            over ? 1 : 0,
            score.windowFromMs,
            score.windowToMs,
            hours,
            s.bars,
          );
        for (const f of s.features) row(f.feature, f.psi, f.threshold, f.over);
        if (s.predictionPsi !== null) row(PREDICTION_DRIFT_FEATURE, s.predictionPsi, null, false);
      }
    }
    return id;
  });
}

/** When the monitor last enqueued a drift retrain (the cooldown's start), or null. */
export function lastDriftRetrainMs(conn: Connection): number | null {
  const row = conn.sqlite.prepare("SELECT max(ts_ms) AS ts FROM drift_checks WHERE action = 'enqueued'").get() as { ts: number | null };
  return row.ts;
}

export interface FeatureDriftRow {
  checkId: number;
  tsMs: number;
  version: string;
  role: "champion" | "challenger";
  symbol: string;
  feature: string;
  psi: number;
  threshold: number | null;
  over: boolean;
  windowFromMs: number;
  windowToMs: number;
  windowHours: number;
  bars: number;
}

export interface DriftCheckRow {
  id: number;
  tsMs: number;
  tsIso: string;
  jobId: string | null;
  champion: string | null;
  challenger: string | null;
  status: string;
  triggered: boolean;
  action: DriftCheckAction;
  retrainJobId: string | null;
  reason: string;
}

/** The newest drift check and its PSIs (for /metrics and the dashboard's heat map); null before the first. */
export function latestDriftCheck(conn: Connection): { check: DriftCheckRow; rows: FeatureDriftRow[] } | null {
  const { sqlite } = conn;
  const check = sqlite
    .prepare(
      `SELECT id, ts_ms AS tsMs, ts_iso AS tsIso, job_id AS jobId, champion, challenger, status, triggered, action, retrain_job_id AS retrainJobId, reason
       FROM drift_checks ORDER BY id DESC LIMIT 1`,
    )
    .get() as (Omit<DriftCheckRow, "triggered"> & { triggered: number }) | undefined;
  if (!check) return null;
  const rows = sqlite
    .prepare(
      `SELECT check_id AS checkId, ts_ms AS tsMs, version, role, symbol, feature, psi, threshold, over, window_from_ms AS windowFromMs,
              window_to_ms AS windowToMs, window_hours AS windowHours, bars
       FROM feature_drift WHERE check_id = ? ORDER BY role, symbol, id`,
    )
    .all(check.id) as (Omit<FeatureDriftRow, "over"> & { over: number })[];
  return { check: { ...check, triggered: check.triggered === 1 }, rows: rows.map((r) => ({ ...r, over: r.over === 1 })) };
}

/** Recent drift checks, newest first. */
export function listDriftChecks(conn: Connection, options: { limit?: number } = {}): DriftCheckRow[] {
  const rows = conn.sqlite
    .prepare(
      `SELECT id, ts_ms AS tsMs, ts_iso AS tsIso, job_id AS jobId, champion, challenger, status, triggered, action, retrain_job_id AS retrainJobId, reason
       FROM drift_checks ORDER BY id DESC LIMIT ?`,
    )
    .all(options.limit ?? 20) as (Omit<DriftCheckRow, "triggered"> & { triggered: number })[];
  return rows.map((r) => ({ ...r, triggered: r.triggered === 1 }));
}

export interface VersionDriftSince {
  /** Drift checks that scored this version (as champion or challenger). */
  readonly checks: number;
  /** Of those, checks where it was champion and its rule fired. */
  readonly fired: number;
  /** Drift retrains enqueued while it was champion. */
  readonly retrains: number;
  /** The newest check that scored it: per symbol its features over threshold and the largest PSI ÷ threshold. */
  readonly latest: {
    readonly checkId: number;
    readonly tsIso: string;
    readonly role: "champion" | "challenger";
    readonly windowHours: number;
    readonly symbols: readonly {
      readonly symbol: string;
      readonly featuresOver: number;
      readonly features: number;
      readonly worst: { readonly feature: string; readonly psi: number; readonly threshold: number } | null;
    }[];
  } | null;
}

/** What the monitor saw of one version since it was trained (for its card); null when no check scored it. */
export function versionDriftSince(conn: Connection, version: string): VersionDriftSince | null {
  const { sqlite } = conn;
  const counts = sqlite
    .prepare(
      `SELECT count(*) AS checks,
              coalesce(sum(CASE WHEN c.champion = ? AND c.triggered = 1 THEN 1 ELSE 0 END), 0) AS fired,
              coalesce(sum(CASE WHEN c.champion = ? AND c.action = 'enqueued' THEN 1 ELSE 0 END), 0) AS retrains,
              max(c.id) AS latest
       FROM drift_checks c WHERE EXISTS (SELECT 1 FROM feature_drift f WHERE f.check_id = c.id AND f.version = ?)`,
    )
    .get(version, version, version) as { checks: number; fired: number; retrains: number; latest: number | null };
  if (counts.checks === 0 || counts.latest === null) return null;
  const rows = sqlite
    .prepare(
      `SELECT f.role, f.symbol, f.feature, f.psi, f.threshold, f.over, f.window_hours AS windowHours, c.ts_iso AS tsIso
       FROM feature_drift f JOIN drift_checks c ON c.id = f.check_id WHERE f.check_id = ? AND f.version = ? ORDER BY f.symbol, f.id`,
    )
    .all(counts.latest, version) as {
    role: "champion" | "challenger";
    symbol: string;
    feature: string;
    psi: number;
    threshold: number | null;
    over: number;
    windowHours: number;
    tsIso: string;
  }[];
  const symbols = [...new Set(rows.map((r) => r.symbol))].map((symbol) => {
    const own = rows.filter((r) => r.symbol === symbol && r.threshold !== null);
    let worst: { feature: string; psi: number; threshold: number } | null = null;
    for (const r of own)
      if (r.threshold! > 0 && (worst === null || r.psi / r.threshold! > worst.psi / worst.threshold))
        worst = { feature: r.feature, psi: r.psi, threshold: r.threshold! };
    return { symbol, featuresOver: own.filter((r) => r.over === 1).length, features: own.length, worst };
  });
  const first = rows[0]!;
  return {
    checks: counts.checks,
    fired: counts.fired,
    retrains: counts.retrains,
    latest: { checkId: counts.latest, tsIso: first.tsIso, role: first.role, windowHours: first.windowHours, symbols },
  };
}
