// Reads `ab_test_runs` back as plain records: what `mlq ab --status` prints and the dashboard shows.
import { finiteOrNull } from "@mlq/core";
import { requireTables, type Connection } from "@mlq/db";

/** One arm's figures as the run stored them (null where the run had none). */
export interface AbArmRecord {
  readonly label: string;
  readonly trades: number | null;
  readonly sharpe: number | null;
  readonly expectancy: number | null;
  readonly winRate: number | null;
  /** NULL in the row both for ∞ (no losing trade) and undefined; `details` says which. */
  readonly profitFactor: number | null;
}

export interface AbRunRecord {
  readonly id: number;
  readonly tsMs: number;
  readonly tsIso: string;
  readonly jobId: string | null;
  readonly action: string;
  readonly dryRun: boolean;
  readonly splitMethod: string | null;
  readonly a: AbArmRecord;
  readonly b: AbArmRecord;
  readonly pBBetter: number | null;
  readonly swapRecommended: boolean;
  readonly swapExecuted: boolean;
  readonly decisionReason: string | null;
  /** False for an evaluation that failed (timeout, bad input); `errorMsg` says why. */
  readonly success: boolean;
  readonly errorMsg: string | null;
  /** The champion's (A) and the challenger's (B) versions compared; null on rows before the promotion loop. */
  readonly armAVersion: string | null;
  readonly armBVersion: string | null;
  /** What the run did to the roles: promoted, expired, rolled-back, force-swapped, continue, idle, … */
  readonly outcome: string | null;
  /** This look of the sequential test (null when no look was taken). */
  readonly look: { readonly index: number; readonly informationFraction: number | null; readonly nMaxPerArm: number | null; readonly alphaK: number | null; readonly boundary: number | null; readonly z: number | null } | null;
  /** The decision table; [] on rows written before it existed. */
  readonly conditions: { name: string; value: number | null; threshold: number | null; passed: boolean; text: string }[];
}

const RUN_COLUMNS = `id, ts_ms, ts_iso, job_id, action, dry_run, split_method,
  arm_a_label, arm_a_trades, arm_a_sharpe, arm_a_expectancy, arm_a_win_rate, arm_a_pf,
  arm_b_label, arm_b_trades, arm_b_sharpe, arm_b_expectancy, arm_b_win_rate, arm_b_pf,
  p_b_better, swap_recommended, swap_executed, decision_reason, success, error_msg,
  arm_a_version, arm_b_version, outcome, look_index, info_fraction, n_max_per_arm, alpha_k, boundary_z, z_stat, conditions`;

type RunRow = Record<string, unknown>;

/** The newest `limit` runs (default 10), newest first. */
export function listAbRuns(conn: Connection, options: { limit?: number } = {}): AbRunRecord[] {
  requireTables(conn, ["ab_test_runs"]);
  const limit = Math.max(0, Math.floor(options.limit ?? 10));
  const rows = conn.sqlite.prepare(`SELECT ${RUN_COLUMNS} FROM ab_test_runs ORDER BY id DESC LIMIT ?`).all(limit) as RunRow[];
  return rows.map(toAbRunRecord);
}

/** One run by id, or null when there is no such row. */
export function getAbRun(conn: Connection, id: number): AbRunRecord | null {
  requireTables(conn, ["ab_test_runs"]);
  const row = conn.sqlite.prepare(`SELECT ${RUN_COLUMNS} FROM ab_test_runs WHERE id = ?`).get(id) as RunRow | undefined;
  return row === undefined ? null : toAbRunRecord(row);
}

function toAbRunRecord(r: RunRow): AbRunRecord {
  const num = (k: string) => (typeof r[k] === "number" ? finiteOrNull(r[k] as number) : null);
  const str = (k: string) => (typeof r[k] === "string" ? (r[k] as string) : null);
  const arm = (k: "a" | "b"): AbArmRecord => ({
    label: String(r[`arm_${k}_label`]),
    trades: num(`arm_${k}_trades`),
    sharpe: num(`arm_${k}_sharpe`),
    expectancy: num(`arm_${k}_expectancy`),
    winRate: num(`arm_${k}_win_rate`),
    profitFactor: num(`arm_${k}_pf`),
  });
  return {
    id: Number(r["id"]),
    tsMs: Number(r["ts_ms"]),
    tsIso: String(r["ts_iso"]),
    jobId: str("job_id"),
    action: String(r["action"]),
    dryRun: r["dry_run"] === 1,
    splitMethod: str("split_method"),
    a: arm("a"),
    b: arm("b"),
    pBBetter: num("p_b_better"),
    swapRecommended: r["swap_recommended"] === 1,
    swapExecuted: r["swap_executed"] === 1,
    decisionReason: str("decision_reason"),
    success: r["success"] !== 0,
    errorMsg: str("error_msg"),
    armAVersion: str("arm_a_version"),
    armBVersion: str("arm_b_version"),
    outcome: str("outcome"),
    look:
      typeof r["look_index"] === "number"
        ? {
            index: r["look_index"],
            informationFraction: num("info_fraction"),
            nMaxPerArm: num("n_max_per_arm"),
            alphaK: num("alpha_k"),
            boundary: num("boundary_z"),
            z: num("z_stat"),
          }
        : null,
    conditions: parseConditions(str("conditions")),
  };
}

function parseConditions(json: string | null): AbRunRecord["conditions"] {
  if (json === null) return [];
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? (v as AbRunRecord["conditions"]) : [];
  } catch {
    return [];
  }
}

export interface PriorLook {
  readonly lookIndex: number;
  readonly informationFraction: number;
  readonly nMaxPerArm: number | null;
}

/**
 * The looks already taken in one evaluation (same champion, challenger and start), in order: the
 * sequential test's history. Dry runs and failed runs took no look.
 */
export function priorLooks(conn: Connection, ev: { champion: string; challenger: string; startMs: number; evidence?: "paper" | "shadow" }): PriorLook[] {
  requireTables(conn, ["ab_test_runs"]);
  // Paper looks (evidence NULL or 'paper') and shadow looks spend α on different statistics: each
  // sequence has its own fractions, so switching MLQ_AB_EVIDENCE mid-evaluation starts the other's at look 1.
  const evidence = ev.evidence === "shadow" ? "evidence = 'shadow'" : "(evidence IS NULL OR evidence = 'paper')";
  const rows = conn.sqlite
    .prepare(
      `SELECT look_index, info_fraction, n_max_per_arm FROM ab_test_runs
       WHERE arm_a_version = ? AND arm_b_version = ? AND evaluation_start_ms = ? AND look_index IS NOT NULL
         AND dry_run = 0 AND success = 1 AND info_fraction IS NOT NULL AND ${evidence}
       ORDER BY id`,
    )
    .raw(true)
    .all(ev.champion, ev.challenger, ev.startMs) as [number, number, number | null][];
  return rows.map(([lookIndex, informationFraction, nMaxPerArm]) => ({ lookIndex, informationFraction, nMaxPerArm }));
}
