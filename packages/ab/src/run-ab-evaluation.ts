// One A/B run as a job or the CLI performs it: bring the roles and their files in line with the
// history, take this look of the challenger's evaluation, act (promote | expire | force-swap |
// rollback), and record the run row and every role change in one transaction.
import { basename } from "node:path";
import { ConfigError, errorMessage, isoUtc, MlqError, noProgress, OutputError, silentLogger, throwIfAborted, type Logger, type ProgressFn } from "@mlq/core";
import { abTestRuns, requireTables, tableExists, writeTx, type Connection } from "@mlq/db";
import {
  ARM_A,
  ARM_B,
  activeFileFromState,
  championActiveState,
  currentRoles,
  endChallenger,
  fillSlotWithAlpha,
  readActiveState,
  readRoleEvents,
  reconcileActiveModelFile,
  recordChampionChange,
  seedRoleHistory,
  syncRoleFiles,
  verifyVersion,
  writeActiveState,
  type ActiveModelState,
  type ArmLabel,
  type NewRoleEvent,
  type ReconcileOutcome,
  type RoleState,
} from "@mlq/registry";
import type { ArmMetrics } from "./arm-metrics.js";
import type { AttributionMethod } from "./attribute-trades.js";
import type { DecisionCondition, PromotionDecision } from "./decide-promotion.js";
import { evaluateArms, type AbEvaluation, type AbPolicy } from "./evaluate-arms.js";
import type { ShadowEvaluation } from "./shadow/shadow-evaluation.js";
import { insertShadowRun } from "./shadow/shadow-runs.js";

export type AbAction = "evaluate" | "dry-run" | "force-swap" | "rollback";

/** What a run did to the roles. */
export type AbOutcome =
  | "promoted"
  | "expired"
  | "continue"
  | "idle"
  | "force-swapped"
  | "rolled-back"
  | "refused"
  | "would-promote"
  | "would-expire"
  | "failed";

export interface AbDeps {
  readonly conn: Connection;
  /** Directory holding the model registry; active_model.json and the pointers are written here. */
  readonly modelsDir: string;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
  readonly progress?: ProgressFn;
  readonly jobId?: string | null;
  readonly nowMs?: number;
  /**
   * False when the caller will run this evaluation again after a retryable failure (a queued job
   * before its last attempt): such a failure is then left to the retry and writes no row. True
   * (the default) for the last attempt and for runs that never retry (`--local`): every failure
   * records its `ab_test_runs` row.
   */
  readonly finalAttempt?: boolean;
  /** Who asked for a rollback (the monitor or an operator); recorded as the role event's trigger. */
  readonly trigger?: string;
  /** Why (recorded with a rollback's role event). */
  readonly reason?: string;
  /**
   * A rollback decided about this champion (the monitor's alarm): refused inside the transaction
   * when another version has become champion meanwhile, so an alarm never rolls back its successor.
   */
  readonly expectedChampion?: { readonly version: string; readonly sinceMs: number };
  /**
   * This run's paired shadow evaluation (`runShadowEvaluation`, computed by the caller before the
   * look because scoring is asynchronous). Recorded in `shadow_eval_runs` with the run; it feeds the
   * decision when it is of the current champion/challenger pair.
   */
  readonly shadow?: ShadowEvaluation | null;
}

export interface AbRequest {
  readonly action: AbAction;
  readonly policy: AbPolicy;
}

/** The model the bot trades (or would trade), as JSON. */
export interface ActiveModelView {
  readonly arm: ArmLabel;
  readonly version: string | null;
  readonly versionDir: string | null;
  readonly manifestSha256: string | null;
  readonly swappedAt: string | null;
  readonly swapRunId: number | null;
}

/** Plain JSON summary of a run (the job's return value); no NaN or Infinity anywhere. */
export interface AbSummary {
  readonly runId: number;
  readonly tsIso: string;
  readonly jobId: string | null;
  readonly action: AbAction;
  readonly dryRun: boolean;
  readonly outcome: AbOutcome;
  /** How trades were assigned to the versions (null when nothing was evaluated). */
  readonly splitMethod: AttributionMethod | null;
  readonly champion: string | null;
  readonly challenger: string | null;
  /** Candidates waiting for the evaluation slot after the run, oldest first. */
  readonly waitingCandidates: string[];
  readonly pinned: boolean;
  readonly evaluation: {
    readonly startIso: string | null;
    readonly expiresIso: string | null;
    readonly expired: boolean;
    readonly alphaK: number | null;
    readonly nMaxPerArm: number | null;
    readonly look: number | null;
    readonly informationFraction: number | null;
    readonly boundary: number | null;
    readonly z: number | null;
  };
  readonly attribution: {
    readonly unknownVersion: number;
    readonly unknownVersions: readonly string[];
    readonly outside: number;
    readonly untaggedLeftOut: number;
    readonly unknownArm: number;
    readonly temporalA: { readonly fromIso: string; readonly toIso: string } | null;
  } | null;
  readonly skippedNullPnl: number;
  readonly skippedInvalidPnl: number;
  readonly skippedNoOpenTime: number;
  readonly armA: { readonly label: typeof ARM_A; readonly version: string | null; readonly metrics: ArmMetrics | null };
  readonly armB: { readonly label: typeof ARM_B; readonly version: string | null; readonly metrics: ArmMetrics | null };
  /** Φ(z), the fixed-sample P(Sharpe_B > Sharpe_A); for reference only, not the decision. */
  readonly pBBetter: number | null;
  readonly conditions: DecisionCondition[];
  readonly swapRecommended: boolean;
  readonly swapExecuted: boolean;
  /** The version made (or that a dry run would make) champion. */
  readonly target: string | null;
  /** The role changes this run wrote, in order ("promote 12", "take_slot 14", …). */
  readonly roleChanges: string[];
  /** Exactly what `ab_test_runs.decision_reason` holds. */
  readonly decisionReason: string;
  readonly activeBefore: ActiveModelView;
  readonly activeAfter: ActiveModelView;
  readonly activeArm: ArmLabel;
  /** What the start-of-run reconciliation did to active_model.json. */
  readonly activeFileAtStart: ReconcileOutcome;
  /** What the look tested ("paper" trades or the "shadow" series). */
  readonly evidence: "paper" | "shadow";
  /** The shadow evaluation recorded with this run (its shadow_eval_runs id), or null when none ran. */
  readonly shadow: (ShadowSummary & { readonly id: number }) | null;
}

/** The shadow evaluation without its curves, for summaries and logs. */
export type ShadowSummary = Omit<ShadowEvaluation, "curves">;

export function shadowSummary(e: ShadowEvaluation): ShadowSummary {
  const { curves: _curves, ...rest } = e;
  return rest;
}

type Plan =
  | { readonly kind: "promote" | "force_swap" | "rollback"; readonly version: string }
  | { readonly kind: "expire" }
  | { readonly kind: "none"; readonly why: string };

/**
 * Runs one A/B evaluation. The `ab_test_runs` row, the role history and `ab_active_model` are
 * written in one transaction; the pointers and active_model.json follow atomically. If a file
 * write fails the DB already holds the change, an OutputError is thrown, and the next run (or
 * `abStatus`) rewrites the files from the database before doing anything else.
 */
export function runAbEvaluation(deps: AbDeps, request: AbRequest): AbSummary {
  const progressState = { committed: false };
  try {
    return evaluateAndRecord(deps, request, progressState);
  } catch (err) {
    // A failure after the commit (a file write) already has its row; any earlier failure gets one
    // with success = 0, so every attempt that will not be retried is auditable.
    const retried = err instanceof MlqError && err.retryable && deps.finalAttempt === false;
    if (!progressState.committed && !retried) recordFailedRun(deps, request, err);
    throw err;
  }
}

function recordFailedRun(deps: AbDeps, request: AbRequest, err: unknown): void {
  const { conn } = deps;
  const nowMs = deps.nowMs ?? Date.now();
  const message = errorMessage(err);
  try {
    if (!tableExists(conn.sqlite, "ab_test_runs")) return;
    writeTx(conn, () =>
      conn.db
        .insert(abTestRuns)
        .values({
          tsMs: nowMs,
          tsIso: isoUtc(nowMs),
          jobId: deps.jobId ?? null,
          armALabel: ARM_A,
          armBLabel: ARM_B,
          action: request.action === "dry-run" || request.action === "evaluate" ? "evaluate" : request.action,
          dryRun: request.action === "dry-run" ? 1 : 0,
          swapRecommended: 0,
          swapExecuted: 0,
          decisionReason: `FAILED: ${message}`,
          outcome: "failed",
          success: 0,
          errorMsg: message,
        })
        .run(),
    );
  } catch (auditErr) {
    (deps.logger ?? silentLogger).error("could not record the failed A/B run", { error: errorMessage(auditErr), cause: message });
  }
}

export function validateAbPolicy(policy: AbPolicy): void {
  if (!Number.isInteger(policy.minTradesPerArm) || policy.minTradesPerArm < 2)
    throw new ConfigError(`A/B policy minTradesPerArm must be an integer ≥ 2, got ${policy.minTradesPerArm}`);
  if (!(policy.alpha > 0 && policy.alpha < 0.5)) throw new ConfigError(`A/B policy alpha must be within (0, 0.5), got ${policy.alpha}`);
  if (!(policy.alphaBudget > 0 && policy.alphaBudget <= 1)) throw new ConfigError(`A/B policy alphaBudget must be within (0, 1], got ${policy.alphaBudget}`);
  if (!(policy.challengerMaxDays > 0)) throw new ConfigError(`A/B policy challengerMaxDays must be > 0, got ${policy.challengerMaxDays}`);
  if (!(policy.shadowWorseP > 0 && policy.shadowWorseP < 1)) throw new ConfigError(`A/B policy shadowWorseP must be within (0, 1), got ${policy.shadowWorseP}`);
  if (policy.evidence !== undefined && policy.evidence !== "paper" && policy.evidence !== "shadow")
    throw new ConfigError(`A/B policy evidence must be "paper" or "shadow", got ${String(policy.evidence)}`);
}

/**
 * Makes the stored roles usable before a look: seeds the history of an install that predates it,
 * repairs `ab_active_model` when it names another champion than the history, and gives a free
 * evaluation slot to the newest waiting candidate. Returns the role changes it wrote.
 */
export function prepareRoles(conn: Connection, modelsDir: string, policy: AbPolicy, nowMs: number, logger: Logger): string[] {
  const changes: string[] = [];
  if (readRoleEvents(conn).length === 0) {
    const seeded = seedRoleHistory(conn, modelsDir, { nowMs, alpha: policy.alpha });
    if (seeded.champion) {
      changes.push(`seed (champion ${seeded.champion.version})`);
      logger.info("role history seeded from the pointers and ab_active_model", { champion: seeded.champion.version, challenger: seeded.challenger?.version ?? null });
    }
  }
  writeTx(conn, () => {
    const roles = currentRoles(conn);
    const active = readActiveState(conn);
    if (roles.champion && (active === null || active.versionDir === null || basename(active.versionDir) !== roles.champion.version)) {
      writeActiveState(conn, { ...championActiveState(modelsDir, roles, { runId: active?.swapRunId ?? null, nowMs }), swappedAt: active?.swappedAt ?? isoUtc(roles.champion.sinceMs) });
      if (active !== null) {
        changes.push(`repair ab_active_model (champion ${roles.champion.version})`);
        logger.warn("ab_active_model named another champion than the role history; repaired from the history", {
          had: active.versionDir,
          champion: roles.champion.version,
        });
      }
    }
  });
  const slot = fillSlotWithAlpha(conn, { nowMs, policy: { alpha: policy.alpha, budget: policy.alphaBudget } });
  for (const s of slot.skipped) changes.push(`skip ${s}`);
  if (slot.took) changes.push(`take_slot ${slot.took}`);
  return changes;
}

function evaluateAndRecord(deps: AbDeps, request: AbRequest, progressState: { committed: boolean }): AbSummary {
  const { conn, modelsDir } = deps;
  const logger = deps.logger ?? silentLogger;
  const progress = deps.progress ?? noProgress;
  const nowMs = deps.nowMs ?? Date.now();
  const { action, policy } = request;
  validateAbPolicy(policy);
  requireTables(conn, ["ab_test_runs", "ab_active_model", "model_role_events"]);

  progress({ stage: "reconcile", pct: 0 });
  const activeFileAtStart = reconcileActiveModelFile(conn, modelsDir, logger);
  // A dry run writes nothing but its own row; every other run first brings the roles up to date.
  const roleChanges = action === "dry-run" ? [] : prepareRoles(conn, modelsDir, policy, nowMs, logger);
  if (action !== "dry-run") syncRoleFiles(conn, modelsDir, logger);
  throwIfAborted(deps.signal);

  progress({ stage: "evaluate", pct: 10 });
  const evaluation = evaluateArms(conn, policy, { nowMs, signal: deps.signal, ...(deps.shadow !== undefined && { shadow: deps.shadow }) });
  const decision = evaluation.decision;
  progress({ stage: "decide", pct: 60, ...(decision ? { detail: decision.text } : {}) });
  const plan = planAction(action, evaluation, modelsDir);
  throwIfAborted(deps.signal);

  progress({ stage: "record", pct: 80 });
  const tsIso = isoUtc(nowMs);
  const recorded = writeTx(conn, () => {
    const before = readActiveState(conn);
    const roles = currentRoles(conn);
    // Re-check inside the transaction: another run may have changed the roles since the look.
    let effective: Plan = plan;
    if (plan.kind !== "none" && plan.kind !== "expire" && roles.champion?.version === plan.version)
      effective = { kind: "none", why: `${plan.version} is already the champion` };
    else if (
      plan.kind === "rollback" &&
      deps.expectedChampion &&
      (roles.champion?.version !== deps.expectedChampion.version || roles.champion.sinceMs !== deps.expectedChampion.sinceMs)
    )
      effective = { kind: "none", why: `the champion changed (now ${roles.champion?.version ?? "none"}) since the alarm about ${deps.expectedChampion.version}` };
    else if (plan.kind === "rollback" && deps.trigger === "monitor" && roles.pinned)
      effective = { kind: "none", why: `the champion ${roles.champion?.version ?? ""} is pinned: no automatic rollback` };
    else if ((plan.kind === "promote" || plan.kind === "expire") && roles.challenger?.version !== evaluation.challenger)
      effective = { kind: "none", why: "the challenger changed while this run looked; the next run decides" };
    const outcome = outcomeOf(action, evaluation, effective);
    const reason = composeReason(action, evaluation, effective, plan);
    const swapExecuted = action !== "dry-run" && (effective.kind === "promote" || effective.kind === "force_swap" || effective.kind === "rollback");
    const look = action === "evaluate" ? (decision?.look ?? null) : null;

    const inserted = conn.db
      .insert(abTestRuns)
      .values({
        tsMs: nowMs,
        tsIso,
        jobId: deps.jobId ?? null,
        armALabel: ARM_A,
        armBLabel: ARM_B,
        splitMethod: evaluation.attribution?.method ?? null,
        armATrades: decision ? evaluation.a.trades : null,
        armBTrades: decision ? evaluation.b.trades : null,
        armASharpe: decision ? evaluation.a.sharpe : null,
        armBSharpe: decision ? evaluation.b.sharpe : null,
        armAExpectancy: decision ? evaluation.a.expectancy : null,
        armBExpectancy: decision ? evaluation.b.expectancy : null,
        armAWinRate: decision ? evaluation.a.winRate : null,
        armBWinRate: decision ? evaluation.b.winRate : null,
        // ∞ (no losing trade) is stored as NULL; details.arms.*.profitFactorInfinite says which.
        armAPf: decision ? evaluation.a.profitFactor : null,
        armBPf: decision ? evaluation.b.profitFactor : null,
        pBBetter: decision?.pBBetter ?? null,
        swapRecommended: decision?.swapRecommended ? 1 : 0,
        swapExecuted: swapExecuted ? 1 : 0,
        decisionReason: reason,
        dryRun: action === "dry-run" ? 1 : 0,
        action: action === "dry-run" ? "evaluate" : action,
        details: JSON.stringify(detailsOf(evaluation, policy, effective)),
        armAVersion: evaluation.champion,
        armBVersion: evaluation.challenger,
        evaluationStartMs: evaluation.startMs,
        lookIndex: look?.look ?? null,
        infoFraction: look?.informationFraction ?? null,
        nMaxPerArm: look ? evaluation.nMaxPerArm : null,
        alphaK: evaluation.alphaK,
        boundaryZ: look && Number.isFinite(look.boundary) ? look.boundary : null,
        zStat: decision?.z ?? null,
        conditions: decision ? JSON.stringify(decision.conditions) : null,
        outcome,
        evidence: decision ? evaluation.evidence : null,
      })
      .returning({ id: abTestRuns.id })
      .get();
    const runId = inserted.id;
    const shadowRunId = deps.shadow ? insertShadowRun(conn, deps.shadow, { nowMs, abRunId: runId, jobId: deps.jobId ?? null }) : null;

    const changes: string[] = [];
    if (action !== "dry-run") {
      const trigger = action === "evaluate" ? "ab-eval" : (deps.trigger ?? "operator");
      const championEvent = (event: NewRoleEvent["event"], version: string, why: string): NewRoleEvent => ({
        tsMs: nowMs,
        event,
        version,
        role: "champion",
        previousVersion: roles.champion?.version ?? null,
        runId,
        trigger,
        reason: why,
      });
      if (effective.kind === "promote" || effective.kind === "force_swap" || effective.kind === "rollback") {
        const why = effective.kind === "rollback" && deps.reason ? deps.reason : reason;
        recordChampionChange(conn, modelsDir, championEvent(effective.kind, effective.version, why));
        changes.push(`${effective.kind} ${effective.version}`);
      } else if (effective.kind === "expire") {
        endChallenger(conn, { event: "expire", nowMs, runId, reason, trigger });
        changes.push(`expire ${evaluation.challenger}`);
      }
      if (changes.length) {
        const slot = fillSlotWithAlpha(conn, { nowMs, policy: { alpha: policy.alpha, budget: policy.alphaBudget } });
        for (const s of slot.skipped) changes.push(`skip ${s}`);
        if (slot.took) changes.push(`take_slot ${slot.took}`);
      }
    }
    return { runId, shadowRunId, reason, outcome, swapExecuted, effective, changes, before, after: readActiveState(conn), roles: currentRoles(conn) };
  });
  progressState.committed = true;

  if (recorded.changes.length || roleChanges.length) {
    try {
      // The files are expected to differ from the new roles here: their rewrite is news, not a repair.
      syncRoleFiles(conn, modelsDir, {
        debug: (m, f) => logger.debug(m, f),
        info: (m, f) => logger.info(m, f),
        warn: (m, f) => logger.info(m, f),
        error: (m, f) => logger.error(m, f),
      });
    } catch (err) {
      logger.error("role change committed but the pointer files were not written", { runId: recorded.runId, error: errorMessage(err) });
      throw new OutputError(
        `A/B run ${recorded.runId} changed the roles in ${conn.path} (${recorded.changes.join(", ")}), but the files in ${modelsDir} could not be written (${errorMessage(err)}); the next A/B run or status rewrites them from the database`,
        { cause: err, context: { runId: recorded.runId, modelsDir } },
      );
    }
  }
  progress({ stage: "done", pct: 100 });

  const activeAfter = activeModelView(recorded.after);
  const attribution = evaluation.attribution;
  const look = decision?.look ?? null;
  const summary: AbSummary = {
    runId: recorded.runId,
    tsIso,
    jobId: deps.jobId ?? null,
    action,
    dryRun: action === "dry-run",
    outcome: recorded.outcome,
    splitMethod: attribution?.method ?? null,
    champion: recorded.roles.champion?.version ?? null,
    challenger: recorded.roles.challenger?.version ?? null,
    waitingCandidates: recorded.roles.candidates.map((c) => c.version),
    pinned: recorded.roles.pinned,
    evaluation: {
      startIso: evaluation.startMs === null ? null : isoUtc(evaluation.startMs),
      expiresIso: evaluation.expiresAtMs === null ? null : isoUtc(evaluation.expiresAtMs),
      expired: evaluation.expired,
      alphaK: evaluation.alphaK,
      nMaxPerArm: evaluation.nMaxPerArm,
      look: look?.look ?? null,
      informationFraction: look?.informationFraction ?? null,
      boundary: look && Number.isFinite(look.boundary) ? look.boundary : null,
      z: decision?.z ?? null,
    },
    attribution: attribution
      ? {
          ...attribution.counts,
          temporalA: attribution.temporalA ? { fromIso: isoUtc(attribution.temporalA.fromMs), toIso: isoUtc(attribution.temporalA.toMs) } : null,
        }
      : null,
    skippedNullPnl: evaluation.skippedNullPnl,
    skippedInvalidPnl: evaluation.skippedInvalidPnl,
    skippedNoOpenTime: evaluation.skippedNoOpenTime,
    armA: { label: ARM_A, version: evaluation.champion, metrics: decision ? evaluation.a : null },
    armB: { label: ARM_B, version: evaluation.challenger, metrics: decision ? evaluation.b : null },
    pBBetter: decision?.pBBetter ?? null,
    conditions: decision?.conditions ?? [],
    swapRecommended: decision?.swapRecommended ?? false,
    swapExecuted: recorded.swapExecuted,
    target: plan.kind === "promote" || plan.kind === "force_swap" || plan.kind === "rollback" ? plan.version : null,
    roleChanges: [...roleChanges, ...recorded.changes],
    decisionReason: recorded.reason,
    activeBefore: activeModelView(recorded.before),
    activeAfter,
    activeArm: activeAfter.arm,
    activeFileAtStart,
    evidence: evaluation.evidence,
    shadow: deps.shadow && recorded.shadowRunId !== null ? { ...shadowSummary(deps.shadow), id: recorded.shadowRunId } : null,
  };
  const log = recorded.outcome === "rolled-back" ? logger.warn.bind(logger) : logger.info.bind(logger);
  log("A/B run recorded", {
    runId: summary.runId,
    action,
    outcome: summary.outcome,
    champion: summary.champion,
    challenger: summary.challenger,
    armATrades: decision ? evaluation.a.trades : null,
    armBTrades: decision ? evaluation.b.trades : null,
    z: summary.evaluation.z,
    boundary: summary.evaluation.boundary,
    roleChanges: summary.roleChanges,
    ...(summary.shadow && { shadow: { status: summary.shadow.status, bars: summary.shadow.bars, pWorse: summary.shadow.pWorse, pBetter: summary.shadow.pBetter } }),
  });
  return summary;
}

/** What the action would do, decided outside the transaction (verifying a version reads files). */
function planAction(action: AbAction, ev: AbEvaluation, modelsDir: string): Plan {
  const roles = ev.roles;
  const verified = (version: string, kind: "promote" | "force_swap" | "rollback"): Plan => {
    try {
      verifyVersion(modelsDir, version);
      return { kind, version };
    } catch (err) {
      // Missing/corrupt models are a decision outcome; anything retryable (a busy DB) is not.
      if (err instanceof MlqError && !err.retryable) return { kind: "none", why: `model version ${version} missing or corrupt: ${errorMessage(err)}` };
      throw err;
    }
  };
  switch (action) {
    case "rollback": {
      const target = roles.previousChampion?.version;
      if (!roles.champion) return { kind: "none", why: "nothing to roll back: there is no champion" };
      if (!target) return { kind: "none", why: "nothing to roll back to: no previous champion is recorded" };
      return verified(target, "rollback");
    }
    case "force-swap": {
      const target = roles.challenger?.version ?? roles.candidates[roles.candidates.length - 1]?.version;
      if (!target) return { kind: "none", why: "no challenger or waiting candidate to swap to" };
      if (roles.barred.includes(target)) return { kind: "none", why: `${target} was rolled back and must win a new A/B first` };
      return verified(target, "force_swap");
    }
    case "evaluate":
    case "dry-run":
      if (ev.decision?.swapRecommended && ev.challenger) return verified(ev.challenger, "promote");
      // The look at full information (t = 1) is the final one, also when the trades came faster
      // than n_max assumed: looking again at the final boundary would spend more than α_k.
      if (ev.decision && (ev.expired || informationComplete(ev))) return { kind: "expire" };
      return { kind: "none", why: "" };
  }
}

/** This look was at full information: the sequential test has spent all of α_k. */
function informationComplete(ev: AbEvaluation): boolean {
  return (ev.decision?.look?.informationFraction ?? 0) >= 1;
}

function outcomeOf(action: AbAction, ev: AbEvaluation, plan: Plan): AbOutcome {
  if (plan.kind === "none") {
    if (action === "force-swap" || action === "rollback" || plan.why !== "") return plan.why.includes("already the champion") ? "idle" : "refused";
    return ev.decision ? "continue" : "idle";
  }
  if (action === "dry-run") return plan.kind === "promote" ? "would-promote" : "would-expire";
  switch (plan.kind) {
    case "promote":
      return "promoted";
    case "expire":
      return "expired";
    case "force_swap":
      return "force-swapped";
    case "rollback":
      return "rolled-back";
  }
}

function composeReason(action: AbAction, ev: AbEvaluation, effective: Plan, plan: Plan): string {
  const numbers = ev.decision?.text ?? ev.idle ?? "nothing evaluated";
  const versions = ev.champion && ev.challenger ? `champion ${ev.champion} vs challenger ${ev.challenger}: ` : "";
  const body = `${versions}${numbers}`;
  const prefix = action === "dry-run" ? "DRY RUN: " : "";
  switch (effective.kind) {
    case "promote":
      return `${prefix}${body}; ${action === "dry-run" ? "would promote" : "promoted"} ${effective.version} to champion`;
    case "expire": {
      const why =
        ev.expiresAtMs === null
          ? ""
          : ev.expired
            ? `time ran out at ${isoUtc(ev.expiresAtMs)}: `
            : `evaluation reached its planned information (n_max ${ev.nMaxPerArm ?? "?"} trades per arm) before ${isoUtc(ev.expiresAtMs)}: `;
      return `${prefix}${body}; the challenger's ${why}${action === "dry-run" ? "would expire" : "expired"} without a promotion`;
    }
    case "force_swap":
      return `FORCED swap to ${effective.version} regardless of the numbers (${body})`;
    case "rollback":
      return `ROLLBACK from ${ev.champion ?? "(none)"} to ${effective.version} (${body})`;
    case "none":
      if (action === "force-swap") return `FORCED swap ${plan.kind === "none" ? "refused" : "not needed"}: ${effective.why} (${body})`;
      if (action === "rollback") return `ROLLBACK ${plan.kind === "none" ? "refused" : "not needed"}: ${effective.why} (${body})`;
      return effective.why === "" ? `${prefix}${body}` : `${prefix}${body}; NOT swapped: ${effective.why}`;
  }
}

function detailsOf(ev: AbEvaluation, policy: AbPolicy, plan: Plan): Record<string, unknown> {
  return {
    policy,
    champion: ev.champion,
    challenger: ev.challenger,
    evaluationStartMs: ev.startMs,
    expiresAtMs: ev.expiresAtMs,
    attribution: ev.attribution ? { method: ev.attribution.method, ...ev.attribution.counts, temporalA: ev.attribution.temporalA } : null,
    skippedNullPnl: ev.skippedNullPnl,
    skippedInvalidPnl: ev.skippedInvalidPnl,
    skippedNoOpenTime: ev.skippedNoOpenTime,
    arms: ev.decision ? { [ARM_A]: ev.a, [ARM_B]: ev.b } : null,
    look: ev.decision?.look ?? null,
    previousLooks: ev.previousLooks,
    evidence: ev.evidence,
    target: plan.kind === "none" || plan.kind === "expire" ? null : plan,
  };
}

/** What is active given the `ab_active_model` row: the row as a view, or v1_backtest before the first version. */
export function activeModelView(state: ActiveModelState | null): ActiveModelView {
  if (state === null) return { arm: ARM_A, version: null, versionDir: null, manifestSha256: null, swappedAt: null, swapRunId: null };
  const file = activeFileFromState(state);
  return { arm: file.arm, version: file.version, versionDir: file.versionDir, manifestSha256: file.manifestSha256, swappedAt: file.swappedAt, swapRunId: file.runId };
}

export type { RoleState, PromotionDecision };
