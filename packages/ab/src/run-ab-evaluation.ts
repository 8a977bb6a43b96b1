// One A/B run as a job or the CLI performs it: reconcile the pointer file, evaluate, act
// (evaluate | dry-run | force-swap | rollback), and record everything in one transaction.
import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import { ConfigError, errorMessage, isoUtc, MlqError, noProgress, OutputError, silentLogger, throwIfAborted, type Logger, type ProgressFn } from "@mlq/core";
import { abTestRuns, requireTables, tableExists, writeTx, type Connection } from "@mlq/db";
import {
  ARM_A,
  ARM_B,
  activeFileFromState,
  readActiveState,
  reconcileActiveModelFile,
  writeActiveModel,
  writeActiveState,
  type ActiveModelState,
  type ArmLabel,
  type ArmModel,
  type ReconcileOutcome,
  type ResolveArmModel,
} from "@mlq/registry";
import type { ArmMetrics } from "./arm-metrics.js";
import type { SwapDecision, SwapPolicy } from "./decide-swap.js";
import { evaluateArms, type AbEvaluation } from "./evaluate-arms.js";
import type { SplitMethod } from "./split-arms.js";

export type AbAction = "evaluate" | "dry-run" | "force-swap" | "rollback";

export interface AbDeps {
  readonly conn: Connection;
  /** Directory holding the model registry; active_model.json is written here. */
  readonly modelsDir: string;
  readonly resolveArmModel: ResolveArmModel;
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
}

export interface AbRequest {
  readonly action: AbAction;
  readonly policy: SwapPolicy;
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
  /** Null only for a rollback on a database without paper_trades. */
  readonly splitMethod: SplitMethod | null;
  readonly splitBoundaryIso: string | null;
  readonly untaggedTrades: number;
  readonly skippedNullPnl: number;
  readonly skippedInvalidPnl: number;
  readonly armA: { readonly label: typeof ARM_A; readonly metrics: ArmMetrics | null };
  readonly armB: { readonly label: typeof ARM_B; readonly metrics: ArmMetrics | null };
  readonly pBBetter: number | null;
  readonly decision: SwapDecision | null;
  readonly swapRecommended: boolean;
  readonly swapExecuted: boolean;
  /** The model swapped to (or that a dry run would swap to). */
  readonly target: ActiveModelView | null;
  /** Exactly what `ab_test_runs.decision_reason` holds. */
  readonly decisionReason: string;
  readonly activeBefore: ActiveModelView;
  readonly activeAfter: ActiveModelView;
  readonly activeArm: ArmLabel;
  /** What the start-of-run reconciliation did to active_model.json. */
  readonly activeFileAtStart: ReconcileOutcome;
}

/** A model to activate; a rollback target may lack the sha256 when none was recorded. */
type TargetModel = Omit<ArmModel, "manifestSha256"> & { readonly manifestSha256: string | null };
type Plan = { readonly kind: "swap"; readonly arm: ArmLabel; readonly model: TargetModel } | { readonly kind: "none"; readonly why: string };

/**
 * Runs one A/B evaluation. The `ab_test_runs` row and, on a swap, `ab_active_model` are
 * written in one transaction; active_model.json follows atomically. If that file write fails
 * the DB already holds the swap, an OutputError is thrown, and the next run (or `abStatus`)
 * rewrites the file from the DB before doing anything else.
 */
export function runAbEvaluation(deps: AbDeps, request: AbRequest): AbSummary {
  const progressState = { committed: false };
  try {
    return evaluateAndRecord(deps, request, progressState);
  } catch (err) {
    // A failure after the commit (active_model.json write) already has its row; any earlier
    // failure gets one with success = 0, so every attempt that will not be retried is auditable.
    // A retryable error (SQLITE_BUSY, …) before the last attempt is left to the retry, whose
    // outcome records the row.
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
          success: 0,
          errorMsg: message,
        })
        .run(),
    );
  } catch (auditErr) {
    (deps.logger ?? silentLogger).error("could not record the failed A/B run", { error: errorMessage(auditErr), cause: message });
  }
}

function evaluateAndRecord(deps: AbDeps, request: AbRequest, progressState: { committed: boolean }): AbSummary {
  const { conn, modelsDir, resolveArmModel } = deps;
  const logger = deps.logger ?? silentLogger;
  const progress = deps.progress ?? noProgress;
  const nowMs = deps.nowMs ?? Date.now();
  const { action, policy } = request;
  if (!Number.isInteger(policy.minTradesPerArm) || policy.minTradesPerArm < 2)
    throw new ConfigError(`A/B policy minTradesPerArm must be an integer ≥ 2, got ${policy.minTradesPerArm}`);
  if (!(policy.minConfidence >= 0 && policy.minConfidence <= 1))
    throw new ConfigError(`A/B policy minConfidence must be within [0, 1], got ${policy.minConfidence}`);
  requireTables(conn, ["ab_test_runs", "ab_active_model"]);

  progress({ stage: "reconcile", pct: 0 });
  const activeFileAtStart = reconcileActiveModelFile(conn, modelsDir, logger);
  throwIfAborted(deps.signal);

  progress({ stage: "evaluate", pct: 10 });
  // An operator's rollback must work even on a database the bot has not created trades in.
  const evaluation = action === "rollback" && !tableExists(conn.sqlite, "paper_trades") ? null : evaluateArms(conn, policy, deps.signal);
  const decision = evaluation?.decision ?? null;
  progress({ stage: "decide", pct: 60, ...(decision ? { detail: decision.text } : {}) });

  const stateBefore = readActiveState(conn);
  const plan = planAction(action, decision, stateBefore, modelsDir, resolveArmModel);
  // Before the first swap nothing records A's version; ask the registry so rollback can return to it.
  const defaultA = stateBefore === null && plan.kind === "swap" ? currentModelOfDefault(resolveArmModel) : null;
  throwIfAborted(deps.signal);

  progress({ stage: "record", pct: 80 });
  const swappedAt = isoUtc(nowMs);
  const recorded = writeTx(conn, () => {
    // Re-read inside the transaction so a concurrent swap is never lost from previous_*.
    const current = readActiveState(conn);
    const currentView = activeModelView(current);
    let effective: Plan = plan;
    if (plan.kind === "swap" && current !== null && current.activeArm === plan.arm && current.versionDir === plan.model.versionDir && current.manifestSha256 === plan.model.manifestSha256)
      effective = { kind: "none", why: `${plan.arm} ${plan.model.version} is already active, nothing to change` };
    const reason = composeReason(action, decision, effective, plan, currentView);
    const swapExecuted = effective.kind === "swap" && action !== "dry-run";

    const inserted = conn.db
      .insert(abTestRuns)
      .values({
        tsMs: nowMs,
        tsIso: swappedAt,
        jobId: deps.jobId ?? null,
        armALabel: ARM_A,
        armBLabel: ARM_B,
        splitMethod: evaluation?.splitMethod ?? null,
        armATrades: evaluation?.a.trades ?? null,
        armBTrades: evaluation?.b.trades ?? null,
        armASharpe: evaluation?.a.sharpe ?? null,
        armBSharpe: evaluation?.b.sharpe ?? null,
        armAExpectancy: evaluation?.a.expectancy ?? null,
        armBExpectancy: evaluation?.b.expectancy ?? null,
        armAWinRate: evaluation?.a.winRate ?? null,
        armBWinRate: evaluation?.b.winRate ?? null,
        // ∞ (no losing trade) is stored as NULL; details.arms.*.profitFactorInfinite says which.
        armAPf: evaluation?.a.profitFactor ?? null,
        armBPf: evaluation?.b.profitFactor ?? null,
        pBBetter: decision?.pBBetter ?? null,
        swapRecommended: decision?.swapRecommended ? 1 : 0,
        swapExecuted: swapExecuted ? 1 : 0,
        decisionReason: reason,
        dryRun: action === "dry-run" ? 1 : 0,
        action: action === "dry-run" ? "evaluate" : action,
        details: JSON.stringify(detailsOf(evaluation, policy, effective)),
      })
      .returning({ id: abTestRuns.id })
      .get();

    let after: ActiveModelState | null = current;
    if (swapExecuted && effective.kind === "swap") {
      after = {
        activeArm: effective.arm,
        versionDir: effective.model.versionDir,
        manifestSha256: effective.model.manifestSha256,
        swappedAt,
        swapRunId: inserted.id,
        previousArm: currentView.arm,
        previousVersionDir: current === null ? (defaultA?.versionDir ?? null) : current.versionDir,
        previousManifestSha256: current === null ? (defaultA?.manifestSha256 ?? null) : current.manifestSha256,
      };
      writeActiveState(conn, after);
    }
    return { runId: inserted.id, reason, swapExecuted, effective, before: currentView, after };
  });
  progressState.committed = true;

  if (recorded.swapExecuted && recorded.after !== null) {
    try {
      writeActiveModel(modelsDir, activeFileFromState(recorded.after));
    } catch (err) {
      logger.error("swap committed but active_model.json not written", { runId: recorded.runId, error: errorMessage(err) });
      throw new OutputError(
        `A/B run ${recorded.runId} swapped to ${recorded.after.activeArm} in ${conn.path}, but active_model.json in ${modelsDir} could not be written (${errorMessage(err)}); the next A/B run or status rewrites it from the database`,
        { cause: err, context: { runId: recorded.runId, modelsDir } },
      );
    }
  }
  progress({ stage: "done", pct: 100 });

  const activeAfter = activeModelView(recorded.after);
  const summary: AbSummary = {
    runId: recorded.runId,
    tsIso: swappedAt,
    jobId: deps.jobId ?? null,
    action,
    dryRun: action === "dry-run",
    splitMethod: evaluation?.splitMethod ?? null,
    splitBoundaryIso: evaluation?.boundaryTsMs == null ? null : isoUtc(evaluation.boundaryTsMs),
    untaggedTrades: evaluation?.untagged ?? 0,
    skippedNullPnl: evaluation?.skippedNullPnl ?? 0,
    skippedInvalidPnl: evaluation?.skippedInvalidPnl ?? 0,
    armA: { label: ARM_A, metrics: evaluation?.a ?? null },
    armB: { label: ARM_B, metrics: evaluation?.b ?? null },
    pBBetter: decision?.pBBetter ?? null,
    decision,
    swapRecommended: decision?.swapRecommended ?? false,
    swapExecuted: recorded.swapExecuted,
    target: plan.kind === "swap" ? { arm: plan.arm, version: plan.model.version, versionDir: plan.model.versionDir, manifestSha256: plan.model.manifestSha256, swappedAt: null, swapRunId: null } : null,
    decisionReason: recorded.reason,
    activeBefore: recorded.before,
    activeAfter,
    activeArm: activeAfter.arm,
    activeFileAtStart,
  };
  logger.info("A/B evaluation recorded", {
    runId: summary.runId,
    action,
    splitMethod: summary.splitMethod,
    armATrades: evaluation?.a.trades ?? null,
    armBTrades: evaluation?.b.trades ?? null,
    pBBetter: summary.pBBetter,
    swapRecommended: summary.swapRecommended,
    swapExecuted: summary.swapExecuted,
    activeArm: summary.activeArm,
    skippedNullPnl: summary.skippedNullPnl,
  });
  return summary;
}

/** What the action would do, decided outside the transaction (the resolver reads files). */
function planAction(action: AbAction, decision: SwapDecision | null, state: ActiveModelState | null, modelsDir: string, resolveArmModel: ResolveArmModel): Plan {
  if (action === "rollback") {
    if (state === null || state.previousArm === null) return { kind: "none", why: "nothing to roll back: no earlier model is recorded in ab_active_model" };
    if (state.previousVersionDir === null) {
      // The arm was active before any swap recorded its version: ask the registry.
      const resolved = tryResolve(resolveArmModel, state.previousArm);
      return "model" in resolved ? { kind: "swap", arm: state.previousArm, model: resolved.model } : { kind: "none", why: `previous model ${state.previousArm} missing or corrupt: ${resolved.error}` };
    }
    const dir = resolve(modelsDir, state.previousVersionDir);
    if (!existsSync(dir)) return { kind: "none", why: `previous model version directory is gone: ${dir}` };
    return {
      kind: "swap",
      arm: state.previousArm,
      model: { version: basename(state.previousVersionDir), versionDir: state.previousVersionDir, manifestSha256: state.previousManifestSha256 },
    };
  }
  if (action !== "force-swap" && !decision?.swapRecommended) return { kind: "none", why: "" };
  const resolved = tryResolve(resolveArmModel, ARM_B);
  if ("error" in resolved) return { kind: "none", why: `arm B model version missing or corrupt: ${resolved.error}` };
  return { kind: "swap", arm: ARM_B, model: resolved.model };
}

function tryResolve(resolveArmModel: ResolveArmModel, arm: ArmLabel): { model: ArmModel } | { error: string } {
  try {
    return { model: resolveArmModel(arm) };
  } catch (err) {
    // Missing/corrupt models are a decision outcome; anything retryable (a busy DB) is not.
    if (err instanceof MlqError && !err.retryable) return { error: errorMessage(err) };
    throw err;
  }
}

function currentModelOfDefault(resolveArmModel: ResolveArmModel): ArmModel | null {
  const r = tryResolve(resolveArmModel, ARM_A);
  return "model" in r ? r.model : null;
}

function composeReason(action: AbAction, decision: SwapDecision | null, effective: Plan, plan: Plan, current: ActiveModelView): string {
  const numbers = decision?.text ?? "no paper_trades table, metrics skipped";
  const name = (p: Plan) => (p.kind === "swap" ? `${p.arm} ${p.model.version}` : "");
  switch (action) {
    case "evaluate":
      if (effective.kind === "swap") return `${numbers}; swapped to ${name(effective)}`;
      return effective.why === "" ? numbers : `${numbers}; NOT swapped: ${effective.why}`;
    case "dry-run":
      if (effective.kind === "swap") return `DRY RUN: ${numbers}; would swap to ${name(effective)}`;
      return effective.why === "" ? `DRY RUN: ${numbers}` : `DRY RUN: ${numbers}; would not swap: ${effective.why}`;
    case "force-swap":
      if (effective.kind === "swap") return `FORCED swap to ${name(effective)} regardless of the numbers (${numbers})`;
      return `FORCED swap${plan.kind === "swap" ? " not needed" : " refused"}: ${effective.why} (${numbers})`;
    case "rollback":
      if (effective.kind === "swap") return `ROLLBACK from ${current.arm} ${current.version ?? "(unrecorded version)"} to ${name(effective)} (${numbers})`;
      return `ROLLBACK refused: ${effective.why} (${numbers})`;
  }
}

function detailsOf(evaluation: AbEvaluation | null, policy: SwapPolicy, plan: Plan): Record<string, unknown> {
  return {
    policy,
    splitBoundaryTsMs: evaluation?.boundaryTsMs ?? null,
    untaggedTrades: evaluation?.untagged ?? 0,
    skippedNullPnl: evaluation?.skippedNullPnl ?? 0,
    skippedInvalidPnl: evaluation?.skippedInvalidPnl ?? 0,
    arms: evaluation ? { [ARM_A]: evaluation.a, [ARM_B]: evaluation.b } : null,
    reasons: evaluation?.decision.reasons ?? [],
    target: plan.kind === "swap" ? { arm: plan.arm, ...plan.model } : null,
  };
}

/** What is active given the `ab_active_model` row: the row as a view, or v1_backtest before the first swap. */
export function activeModelView(state: ActiveModelState | null): ActiveModelView {
  if (state === null) return { arm: ARM_A, version: null, versionDir: null, manifestSha256: null, swappedAt: null, swapRunId: null };
  const file = activeFileFromState(state);
  return { arm: file.arm, version: file.version, versionDir: file.versionDir, manifestSha256: file.manifestSha256, swappedAt: file.swappedAt, swapRunId: file.runId };
}
