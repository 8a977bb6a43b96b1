// The ab-eval queue's task: the configured database and models directory, the A/B policy from the
// config, and the shadow step that scores champion and challenger on the same bars before the look.
import type { Config } from "@mlq/config";
import { errorMessage, MlqError } from "@mlq/core";
import { withMigrated, writeTx, type Connection } from "@mlq/db";
import { materializeCandlesAsync } from "@mlq/market-data";
import { currentCost } from "@mlq/ml";
import { currentRoles } from "@mlq/registry";
import {
  insertShadowRun,
  runAbEvaluation,
  runShadowEvaluation,
  shadowSummary,
  type AbAction,
  type AbDeps,
  type AbPolicy,
  type AbSummary,
  type ShadowEvaluation,
  type ShadowOptions,
  type ShadowSummary,
} from "@mlq/ab";
import type { TaskIo } from "./task-io.js";

export interface AbEvalTaskPayload {
  readonly action: AbAction;
}

export function abPolicyFromConfig(config: Pick<Config, "ab">): AbPolicy {
  return {
    minTradesPerArm: config.ab.minTradesPerArm,
    alpha: config.ab.alpha,
    alphaBudget: config.ab.alphaBudget,
    challengerMaxDays: config.ab.challengerMaxDays,
    shadowWorseP: config.ab.shadowWorseP,
    evidence: config.ab.evidence,
  };
}

export function shadowOptionsFromConfig(config: Pick<Config, "shadow" | "retrain">): ShadowOptions {
  return {
    minBars: config.shadow.minBars,
    resamples: config.shadow.resamples,
    ...(config.shadow.blockBars > 0 && { blockLength: config.shadow.blockBars }),
    seed: config.shadow.seed,
    maxGapMinutes: config.retrain.maxGapMinutes,
    defaultEmbargoHours: config.retrain.embargoMinHours,
  };
}

/** The evaluation's dependencies for one run: what the config names, and the io's reporting and retry facts. */
export function abEvalDeps(config: Config, conn: Connection, io: TaskIo): AbDeps {
  return {
    conn,
    modelsDir: config.modelsDir,
    logger: io.logger,
    progress: io.progress,
    signal: io.signal,
    jobId: io.jobId ?? null,
    finalAttempt: io.finalAttempt,
  };
}

/**
 * The shadow step: brings candles_1m up to date with the ticks (so the window reaches the last closed
 * bar), takes the cost from the latest calibration, and scores the current champion and challenger.
 * Null when there is no pair to compare. A candle build that fails on bad input is logged and the
 * step scores the candles already there.
 */
export async function runShadowStep(config: Config, conn: Connection, io: TaskIo, nowMs = Date.now()): Promise<ShadowEvaluation | null> {
  const roles = currentRoles(conn);
  if (!roles.champion || !roles.challenger) return null;
  io.progress({ stage: "shadow", pct: 2, detail: `candles for ${roles.champion.version} vs ${roles.challenger.version}` });
  try {
    await materializeCandlesAsync(conn, {
      signal: io.signal,
      logger: io.logger,
      ...(config.candles.threads > 0 && { threads: config.candles.threads }),
    });
  } catch (err) {
    if (!(err instanceof MlqError) || err.retryable || err.code === "ABORTED") throw err;
    io.logger.warn("shadow step: candles not brought up to date; scoring the candles already materialized", { error: errorMessage(err) });
  }
  io.progress({ stage: "shadow", pct: 5, detail: "scoring both versions on the same bars" });
  const cost = currentCost(conn, config.costs);
  const shadow = await runShadowEvaluation({
    conn,
    modelsDir: config.modelsDir,
    champion: roles.champion.version,
    challenger: roles.challenger.version,
    nowMs,
    costPerSide: cost.roundTrip / 2,
    options: shadowOptionsFromConfig(config),
    ...(io.signal && { signal: io.signal }),
  });
  const log = shadow.status === "failed" ? io.logger.warn.bind(io.logger) : io.logger.info.bind(io.logger);
  log("shadow evaluation", {
    status: shadow.status,
    reason: shadow.reason,
    bars: shadow.bars,
    pWorse: shadow.pWorse,
    pBetter: shadow.pBetter,
    hacZ: shadow.hacZ,
  });
  return shadow;
}

/** Runs one A/B evaluation (evaluate | dry-run | force-swap | rollback) on the configured database; a look runs the shadow step first. */
export async function runAbEvalTask(config: Config, payload: AbEvalTaskPayload, io: TaskIo): Promise<AbSummary> {
  return withMigrated(config.dbPath, async (conn) => {
    const looks = payload.action === "evaluate" || payload.action === "dry-run";
    const shadow = looks && config.shadow.enabled ? await runShadowStep(config, conn, io) : undefined;
    return runAbEvaluation(
      { ...abEvalDeps(config, conn, io), ...(shadow !== undefined && { shadow }) },
      { action: payload.action, policy: abPolicyFromConfig(config) },
    );
  });
}

/** `mlq ab --shadow`: the shadow step alone, recorded in shadow_eval_runs without an A/B run; null when there is no pair. */
export async function runShadowTask(
  config: Config,
  io: TaskIo,
): Promise<(ShadowSummary & { id: number; curves: ShadowEvaluation["curves"] }) | null> {
  return withMigrated(config.dbPath, async (conn) => {
    const nowMs = Date.now();
    const shadow = await runShadowStep(config, conn, io, nowMs);
    if (!shadow) return null;
    const id = writeTx(conn, () => insertShadowRun(conn, shadow, { nowMs, abRunId: null, jobId: io.jobId ?? null }));
    return { ...shadowSummary(shadow), id, curves: shadow.curves };
  });
}
