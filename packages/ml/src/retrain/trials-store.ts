// retrain_trials: one row per (model × candidate) a retrain's search tried, written in one short
// transaction once every candidate is scored, and read by the CLI, cards and tests.
import { isoUtc } from "@mlq/core";
import { writeTx, type Connection } from "@mlq/db";

export interface RetrainTrial {
  model: string;
  candidate: number;
  params: Record<string, unknown>;
  scores: Record<string, unknown>;
  /** The selection key: direction's validation Sharpe, a regression's RMSE. */
  score: number | null;
  selected: boolean;
  host: string;
  seconds: number;
}

export interface RetrainTrialRecord extends RetrainTrial {
  id: number;
  runId: number;
  tsMs: number;
  tsIso: string;
}

export function insertRetrainTrials(conn: Connection, runId: number, nowMs: number, trials: readonly RetrainTrial[]): void {
  writeTx(conn, () => {
    const insert = conn.sqlite.prepare(
      `INSERT INTO retrain_trials (run_id, model, candidate, params, scores, score, selected, host, seconds, ts_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const t of trials)
      insert.run(
        runId,
        t.model,
        t.candidate,
        JSON.stringify(t.params),
        JSON.stringify(t.scores),
        t.score,
        t.selected ? 1 : 0,
        t.host,
        t.seconds,
        nowMs,
      );
  });
}

interface TrialRow {
  id: number;
  run_id: number;
  model: string;
  candidate: number;
  params: string;
  scores: string;
  score: number | null;
  selected: number;
  host: string;
  seconds: number;
  ts_ms: number;
}

/** A run's trials, by model then candidate. */
export function listRetrainTrials(conn: Connection, runId: number): RetrainTrialRecord[] {
  const rows = conn.sqlite.prepare(`SELECT * FROM retrain_trials WHERE run_id = ? ORDER BY model, candidate`).all(runId) as TrialRow[];
  return rows.map((r) => ({
    id: r.id,
    runId: r.run_id,
    model: r.model,
    candidate: r.candidate,
    params: JSON.parse(r.params) as Record<string, unknown>,
    scores: JSON.parse(r.scores) as Record<string, unknown>,
    score: r.score,
    selected: r.selected === 1,
    host: r.host,
    seconds: r.seconds,
    tsMs: r.ts_ms,
    tsIso: isoUtc(r.ts_ms),
  }));
}
