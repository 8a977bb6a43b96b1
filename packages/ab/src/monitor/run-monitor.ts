// One run of the hourly `monitor` queue: the CUSUM decay detector over the live champion's trades
// since it took the role and, on an alarm, a rollback to previous_champion through the A/B's own
// atomic path (runAbEvaluation action "rollback"). Writes to the database only when it rolls back.
import { ConfigError, errorMessage, isoUtc, MlqError, noProgress, silentLogger, throwIfAborted } from "@mlq/core";
import { currentRoles, readRoleEvents, replayRoles, syncRoleFiles, verifyVersion } from "@mlq/registry";
import type { AbPolicy } from "../evaluate-arms.js";
import { runAbEvaluation, type AbDeps } from "../run-ab-evaluation.js";
import { championTradeAt, loadChampionTrades, type ChampionSelection, type ChampionTradeCounts } from "./champion-trades.js";
import { decayThreshold, detectDecay } from "./decay-detector.js";

export interface MonitorPolicy {
  /** Healthy per-trade Sharpe of a champion, σ units (`MLQ_ROLLBACK_REFERENCE_SR`; never the A/B's estimate). */
  readonly referenceSharpe: number;
  /** Decayed per-trade Sharpe the detector is tuned to catch (`MLQ_ROLLBACK_DECAY_SR`). */
  readonly decaySharpe: number;
  /** Champion trades a day the false-alarm rate is calibrated for (`MLQ_ROLLBACK_TRADES_PER_DAY`). */
  readonly tradesPerDay: number;
  /** Expected rollbacks a year of a healthy champion (`MLQ_ROLLBACK_MAX_FALSE_ALARMS_PER_YEAR`). */
  readonly maxFalseAlarmsPerYear: number;
  /** False: an alarm is logged and reported, nothing is rolled back (`MLQ_ROLLBACK=false`). */
  readonly rollback: boolean;
  /** The A/B policy the rollback run is recorded under. */
  readonly ab: AbPolicy;
  /** Trades that only estimate σ before the statistic starts (detector default 30). */
  readonly warmupTrades?: number;
  /** Standardized returns are clipped to ±clip (detector default 3). */
  readonly clip?: number;
}

/** The A/B run's dependencies; the monitor sets the rollback's trigger and reason itself. */
export type MonitorDeps = Omit<AbDeps, "trigger" | "reason">;

/**
 * What the run did: nothing (no champion, or no alarm), a rollback, or why an alarm did not lead
 * to one (the champion is pinned, no previous champion is recorded, rollback is switched off, or
 * the rollback was refused — its target's files are missing or corrupt, or the roles moved).
 */
export type MonitorAction = "none" | "rolled-back" | "pinned" | "no-previous-champion" | "disabled" | "refused";

/** Plain JSON summary of a run (the job's return value); no NaN or Infinity anywhere. */
export interface MonitorSummary {
  readonly tsIso: string;
  readonly jobId: string | null;
  readonly champion: string | null;
  readonly championSinceIso: string | null;
  readonly previousChampion: string | null;
  readonly pinned: boolean;
  /** How the champion's trades were picked (null when none was opened since it took the role). */
  readonly selection: ChampionSelection | null;
  /** The champion's closed trades the detector saw (warm-up included). */
  readonly trades: number;
  readonly leftOut: ChampionTradeCounts;
  /** Running σ of the returns after the last trade (null before two trades). */
  readonly sigma: number | null;
  /** CUSUM statistic after the last trade and the largest it reached, σ units. */
  readonly statistic: number;
  readonly peak: number;
  readonly threshold: number;
  readonly referenceSharpe: number;
  readonly decaySharpe: number;
  readonly tradesPerYear: number;
  readonly maxFalseAlarmsPerYear: number;
  readonly alarm: boolean;
  /** The trade at which the statistic first crossed the threshold. */
  readonly alarmTrade: { readonly index: number; readonly id: number; readonly closedIso: string } | null;
  readonly action: MonitorAction;
  /** One line: what was seen and what was done. */
  readonly reason: string;
  /** The `ab_test_runs` row of the rollback (or of a refused one), null when none was attempted. */
  readonly rollbackRunId: number | null;
  /** The champion after the run. */
  readonly championAfter: string | null;
}

export function validateMonitorPolicy(policy: MonitorPolicy): void {
  const bad: string[] = [];
  if (!Number.isFinite(policy.referenceSharpe) || !Number.isFinite(policy.decaySharpe) || !(policy.referenceSharpe > policy.decaySharpe))
    bad.push(`MLQ_ROLLBACK_REFERENCE_SR (${policy.referenceSharpe}) must exceed MLQ_ROLLBACK_DECAY_SR (${policy.decaySharpe})`);
  if (!(policy.tradesPerDay > 0)) bad.push(`MLQ_ROLLBACK_TRADES_PER_DAY must be > 0, got ${policy.tradesPerDay}`);
  if (!(policy.maxFalseAlarmsPerYear > 0))
    bad.push(`MLQ_ROLLBACK_MAX_FALSE_ALARMS_PER_YEAR must be > 0, got ${policy.maxFalseAlarmsPerYear}`);
  // The threshold needs an in-control ARL above one trade.
  else if (!(policy.tradesPerDay * 365 > policy.maxFalseAlarmsPerYear))
    bad.push(
      `MLQ_ROLLBACK_MAX_FALSE_ALARMS_PER_YEAR (${policy.maxFalseAlarmsPerYear}) must be below the trades a year (${policy.tradesPerDay * 365})`,
    );
  if (bad.length) throw new ConfigError(`monitor policy: ${bad.join("; ")}`);
}

/**
 * Watches the champion and rolls it back on a CUSUM alarm. Deterministic for the same rows and
 * `nowMs`. Writes nothing to the database unless it rolls back (stale role files are rewritten from
 * it); a rollback is one `runAbEvaluation` with action "rollback", trigger "monitor" and the
 * detector's numbers as the reason.
 */
export function runMonitor(deps: MonitorDeps, policy: MonitorPolicy): MonitorSummary {
  validateMonitorPolicy(policy);
  const { conn } = deps;
  const logger = deps.logger ?? silentLogger;
  const progress = deps.progress ?? noProgress;
  const nowMs = deps.nowMs ?? Date.now();
  const tsIso = isoUtc(nowMs);
  const tradesPerYear = policy.tradesPerDay * 365;
  const threshold = decayThreshold(policy, tradesPerYear, policy.maxFalseAlarmsPerYear);

  progress({ stage: "roles", pct: 0 });
  const events = readRoleEvents(conn);
  const roles = replayRoles(events);
  const champion = roles.champion;
  const base = {
    tsIso,
    jobId: deps.jobId ?? null,
    champion: champion?.version ?? null,
    championSinceIso: champion ? isoUtc(champion.sinceMs) : null,
    previousChampion: roles.previousChampion?.version ?? null,
    pinned: roles.pinned,
    threshold,
    referenceSharpe: policy.referenceSharpe,
    decaySharpe: policy.decaySharpe,
    tradesPerYear,
    maxFalseAlarmsPerYear: policy.maxFalseAlarmsPerYear,
  };
  if (!champion) {
    const reason =
      events.length === 0
        ? "no role history yet: nothing to watch (an install that predates the history is seeded by its next A/B run)"
        : "no champion yet: nothing to watch";
    logger.info("monitor: nothing to watch", { reason });
    progress({ stage: "done", pct: 100 });
    return {
      ...base,
      selection: null,
      trades: 0,
      leftOut: { otherVersion: 0, otherArm: 0, untaggedLeftOut: 0, unknownArm: 0, nullPnl: 0, invalidPnl: 0 },
      sigma: null,
      statistic: 0,
      peak: 0,
      alarm: false,
      alarmTrade: null,
      action: "none",
      reason,
      rollbackRunId: null,
      championAfter: null,
    };
  }

  // The bot reads active_model.json, not the database: a file left stale by a crash or a failed
  // write after a committed swap (a rollback included) is rewritten here within the hour, instead
  // of at the next daily A/B run. Files only, and only when they differ from the database.
  syncRoleFiles(conn, deps.modelsDir, logger);

  progress({ stage: "trades", pct: 10 });
  const window = { champion: champion.version, sinceMs: champion.sinceMs, nowMs };
  // One read snapshot (a deferred transaction that writes nothing), so the alarm's trade index
  // names the same row the returns came from even while the bot inserts trades.
  const { picked, state, crossed } = conn.sqlite.transaction(() => {
    const picked = loadChampionTrades(conn, window);
    progress({ stage: "detect", pct: 40 });
    const state = detectDecay(picked.returns, {
      referenceSharpe: policy.referenceSharpe,
      decaySharpe: policy.decaySharpe,
      threshold,
      ...(policy.warmupTrades === undefined ? {} : { warmupTrades: policy.warmupTrades }),
      ...(policy.clip === undefined ? {} : { clip: policy.clip }),
    });
    const crossed = state.alarmAt === null || picked.method === null ? null : championTradeAt(conn, window, picked.method, state.alarmAt);
    return { picked, state, crossed };
  })();
  throwIfAborted(deps.signal);
  const alarmTrade =
    crossed && state.alarmAt !== null ? { index: state.alarmAt, id: crossed.id, closedIso: isoUtc(crossed.closedTsMs) } : null;
  const seen = {
    ...base,
    selection: picked.method,
    trades: state.trades,
    leftOut: picked.counts,
    sigma: state.sigma,
    statistic: state.statistic,
    peak: state.peak,
    alarm: alarmTrade !== null,
    alarmTrade,
  };
  const numbers =
    `champion ${champion.version} since ${base.championSinceIso}: ${state.trades} trades${picked.method ? ` (${selectionText(picked.method)})` : ""}, ` +
    `CUSUM ${fmt(state.statistic)} (peak ${fmt(state.peak)}) vs threshold ${fmt(threshold)} σ ` +
    `[reference SR ${policy.referenceSharpe}, decay SR ${policy.decaySharpe}, ≤ ${policy.maxFalseAlarmsPerYear} false alarms/year at ${tradesPerYear} trades/year]`;
  const done = (
    action: MonitorAction,
    reason: string,
    rollbackRunId: number | null = null,
    championAfter: string | null = champion.version,
  ): MonitorSummary => {
    progress({ stage: "done", pct: 100 });
    return { ...seen, action, reason, rollbackRunId, championAfter };
  };

  if (!alarmTrade) {
    logger.info("monitor: champion healthy", {
      champion: champion.version,
      trades: state.trades,
      statistic: state.statistic,
      peak: state.peak,
      threshold,
    });
    const warmup = Math.max(2, policy.warmupTrades ?? 30);
    const warming = state.trades <= warmup ? `; the first ${warmup} trades only estimate σ, so no alarm is possible yet` : "";
    return done("none", `no alarm: ${numbers}${warming}`);
  }

  const alarmText = `CUSUM alarm: ${numbers}; crossed at trade #${alarmTrade.id} (the ${ordinal(alarmTrade.index + 1)}, closed ${alarmTrade.closedIso})`;
  const alarmFields = {
    champion: champion.version,
    trades: state.trades,
    statistic: state.statistic,
    peak: state.peak,
    threshold,
    alarmTradeId: alarmTrade.id,
  };
  if (!policy.rollback) {
    logger.warn("monitor: decay alarm; automatic rollback is switched off (MLQ_ROLLBACK=false)", alarmFields);
    return done("disabled", `${alarmText}; NOT rolled back: automatic rollback is switched off (MLQ_ROLLBACK=false)`);
  }
  if (roles.pinned) {
    logger.warn("monitor: decay alarm on a pinned champion; not rolled back", alarmFields);
    return done("pinned", `${alarmText}; NOT rolled back: the champion is pinned (mlq models unpin ${champion.version} releases it)`);
  }
  const target = roles.previousChampion?.version;
  if (!target) {
    logger.warn("monitor: decay alarm but no previous champion to roll back to", alarmFields);
    return done("no-previous-champion", `${alarmText}; NOT rolled back: no previous champion is recorded`);
  }
  try {
    verifyVersion(deps.modelsDir, target);
  } catch (err) {
    if (!(err instanceof MlqError) || err.retryable) throw err;
    // Checked here so a broken target is reported every hour without an audit row every hour.
    logger.error("monitor: decay alarm but the previous champion's model files are missing or corrupt; not rolled back", {
      ...alarmFields,
      target,
      error: errorMessage(err),
    });
    return done("refused", `${alarmText}; NOT rolled back: previous champion ${target} is missing or corrupt (${errorMessage(err)})`);
  }
  throwIfAborted(deps.signal);

  // The roles may have moved while the detector ran (an A/B promotion): this alarm is about
  // `champion` only, so a changed champion is left to the next run.
  const now = currentRoles(conn);
  if (now.champion?.version !== champion.version || now.champion.sinceMs !== champion.sinceMs || now.previousChampion?.version !== target) {
    logger.warn("monitor: the roles changed while the detector ran; the next run looks again", {
      ...alarmFields,
      championNow: now.champion?.version ?? null,
    });
    return done(
      "refused",
      `${alarmText}; NOT rolled back: the champion changed while this run looked (now ${now.champion?.version ?? "none"})`,
      null,
      now.champion?.version ?? null,
    );
  }

  progress({ stage: "rollback", pct: 70 });
  const reason = `monitor: ${alarmText}; rolling back to previous champion ${target}`;
  // The A/B run's own stages, drawn inside this run's 70–99 %.
  const rollbackProgress = (p: { stage: string; pct: number; detail?: string }) =>
    progress({ ...p, stage: `rollback: ${p.stage}`, pct: 70 + Math.floor(p.pct * 0.29) });
  const run = runAbEvaluation(
    { ...deps, progress: rollbackProgress, trigger: "monitor", reason, expectedChampion: { version: champion.version, sinceMs: champion.sinceMs } },
    { action: "rollback", policy: policy.ab },
  );
  if (run.outcome !== "rolled-back") {
    logger.warn("monitor: decay alarm; the rollback run did not roll back", {
      ...alarmFields,
      runId: run.runId,
      outcome: run.outcome,
      decision: run.decisionReason,
    });
    // The A/B re-checks inside its transaction: an operator may have pinned the champion meanwhile.
    return done(run.pinned ? "pinned" : "refused", `${alarmText}; NOT rolled back: ${run.decisionReason}`, run.runId, run.champion);
  }
  logger.warn("monitor: decaying champion rolled back", { ...alarmFields, to: target, runId: run.runId });
  return done(
    "rolled-back",
    `${alarmText}; rolled back from ${champion.version} to ${target} (A/B run #${run.runId}); ${champion.version} must win a new A/B to be champion again`,
    run.runId,
    run.champion,
  );
}

function selectionText(method: ChampionSelection): string {
  return method === "untagged" ? "untagged: every trade opened since it took the role" : `by ${method}`;
}

function fmt(x: number): string {
  return x.toFixed(3);
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}
