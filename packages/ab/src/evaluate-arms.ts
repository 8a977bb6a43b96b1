// The read-only half of an A/B run: load closed trades, attribute them to the champion's and the
// challenger's versions, measure both arms and take this look of the sequential test.
import { DAY_MS, throwIfAborted } from "@mlq/core";
import { requireColumns, tableColumns, tableExists, type Connection } from "@mlq/db";
import { evaluationStartMs, readRoleEvents, replayRoles, roleTimeline, type RoleState, type StoredRoleEvent } from "@mlq/registry";
import { armMetrics, type ArmMetrics } from "./arm-metrics.js";
import { attributeTrades, type Attribution } from "./attribute-trades.js";
import { decideOnShadow, decidePromotion, type PromotionDecision } from "./decide-promotion.js";
import type { ShadowEvaluation } from "./shadow/shadow-evaluation.js";
import { priorLooks } from "./ab-runs.js";
import { expectedTradesAtExpiry } from "./sequential/sequential-look.js";
import type { AbTrade } from "./ab-trade.js";

export interface LoadedTrades {
  readonly trades: AbTrade[];
  readonly hasModelArm: boolean;
  readonly hasModelVersion: boolean;
  /** Closed trades left out because pnl_pct is NULL. */
  readonly skippedNullPnl: number;
  /** Closed trades left out because pnl_pct is not a finite number (±Inf, text). */
  readonly skippedInvalidPnl: number;
  /** Closed trades left out because opened_ts_ms is NULL or not a number (no entry time, no arm). */
  readonly skippedNoOpenTime: number;
}

/** One SELECT of closed trades with a close time, in (close time, id) order. */
export function loadAbTrades(conn: Connection): LoadedTrades {
  requireColumns(conn, "paper_trades", ["id", "status", "opened_ts_ms", "closed_ts_ms", "pnl_pct"]);
  const columns = tableColumns(conn.sqlite, "paper_trades");
  const hasModelArm = columns.has("model_arm");
  const hasModelVersion = columns.has("model_version");
  const rows = conn.sqlite
    .prepare(
      `SELECT id, opened_ts_ms, closed_ts_ms, pnl_pct, ${hasModelArm ? "model_arm" : "NULL"}, ${hasModelVersion ? "model_version" : "NULL"}
       FROM paper_trades WHERE status = 'closed' AND closed_ts_ms IS NOT NULL ORDER BY closed_ts_ms, id`,
    )
    .raw(true)
    .all() as unknown[][];
  const trades: AbTrade[] = [];
  let skippedNullPnl = 0;
  let skippedInvalidPnl = 0;
  let skippedNoOpenTime = 0;
  for (const r of rows) {
    const pnl = r[3];
    if (pnl === null) {
      skippedNullPnl++;
      continue;
    }
    if (typeof pnl !== "number" || !Number.isFinite(pnl)) {
      skippedInvalidPnl++;
      continue;
    }
    if (typeof r[1] !== "number" && typeof r[1] !== "bigint") {
      skippedNoOpenTime++;
      continue;
    }
    const version = r[5];
    trades.push({
      id: Number(r[0]),
      openedTsMs: Number(r[1]),
      closedTsMs: Number(r[2]),
      pnlPct: pnl,
      modelArm: typeof r[4] === "string" ? r[4] : null,
      modelVersion: version === null || version === undefined || version === "" ? null : String(version),
    });
  }
  return { trades, hasModelArm, hasModelVersion, skippedNullPnl, skippedInvalidPnl, skippedNoOpenTime };
}

export interface AbPolicy {
  /** Closed trades each arm needs before the first look (default 100). */
  readonly minTradesPerArm: number;
  /** α_k for a challenger seeded without one (an install that predates the role history). */
  readonly alpha: number;
  /** Σ α_k over a rolling year. */
  readonly alphaBudget: number;
  /** A challenger's evaluation ends at the look after this many days. */
  readonly challengerMaxDays: number;
  /** The shadow evaluation blocks a swap when its p(challenger worse) is below this. */
  readonly shadowWorseP: number;
  /**
   * What decides: "paper" (the paper-trade A/B, with the shadow evaluation as a veto when it ran) or
   * "shadow" (the paired shadow series alone, for bots that trade a single arm). Default "paper".
   */
  readonly evidence?: "paper" | "shadow";
}

export const DEFAULT_AB_POLICY: AbPolicy = Object.freeze({
  minTradesPerArm: 100,
  alpha: 0.05,
  alphaBudget: 0.25,
  challengerMaxDays: 60,
  shadowWorseP: 0.05,
  evidence: "paper",
});

/** What one look of the current evaluation saw. `decision` is null when no challenger holds the slot. */
export interface AbEvaluation {
  readonly roles: RoleState;
  readonly champion: string | null;
  readonly challenger: string | null;
  /** When this evaluation began (the later of the challenger's slot and the champion's role). */
  readonly startMs: number | null;
  readonly expiresAtMs: number | null;
  readonly expired: boolean;
  readonly alphaK: number | null;
  /** Trades per arm expected by expiry, fixed at the evaluation's first look. */
  readonly nMaxPerArm: number | null;
  /** Looks this evaluation already took (not counting this one). */
  readonly previousLooks: number;
  readonly attribution: Attribution | null;
  readonly skippedNullPnl: number;
  readonly skippedInvalidPnl: number;
  readonly skippedNoOpenTime: number;
  readonly a: ArmMetrics;
  readonly b: ArmMetrics;
  readonly decision: PromotionDecision | null;
  /** Why there is nothing to decide (no champion, no challenger), when decision is null. */
  readonly idle: string | null;
  /** What this look tested. */
  readonly evidence: "paper" | "shadow";
  /** The shadow evaluation of this pair that fed the decision, if any. */
  readonly shadow: ShadowEvaluation | null;
}

const EMPTY_ARM = armMetrics([], []);

/**
 * Attributes, measures and takes this look. Reads only; deterministic for the same rows.
 * `events` defaults to the stored role history.
 */
export function evaluateArms(
  conn: Connection,
  policy: AbPolicy,
  options: {
    nowMs: number;
    signal?: AbortSignal;
    events?: readonly StoredRoleEvent[];
    /** This run's shadow evaluation; used only when it is of the current champion/challenger pair. */
    shadow?: ShadowEvaluation | null;
  },
): AbEvaluation {
  const events = options.events ?? readRoleEvents(conn);
  const roles = replayRoles(events);
  const hasTrades = tableExists(conn.sqlite, "paper_trades");
  const loaded = hasTrades
    ? loadAbTrades(conn)
    : { trades: [], skippedNullPnl: 0, skippedInvalidPnl: 0, skippedNoOpenTime: 0, hasModelArm: false, hasModelVersion: false };
  throwIfAborted(options.signal);
  const base = {
    roles,
    champion: roles.champion?.version ?? null,
    challenger: roles.challenger?.version ?? null,
    skippedNullPnl: loaded.skippedNullPnl,
    skippedInvalidPnl: loaded.skippedInvalidPnl,
    skippedNoOpenTime: loaded.skippedNoOpenTime,
  };
  const idle = (why: string): AbEvaluation => ({
    ...base,
    startMs: null,
    expiresAtMs: null,
    expired: false,
    alphaK: null,
    nMaxPerArm: null,
    previousLooks: 0,
    attribution: null,
    a: EMPTY_ARM,
    b: EMPTY_ARM,
    decision: null,
    idle: why,
    evidence: policy.evidence ?? "paper",
    shadow: null,
  });
  if (!roles.champion) return idle("no champion yet: the first trained set becomes champion");
  if (!roles.challenger) return idle(roles.candidates.length ? "the evaluation slot is free but not yet filled" : "no challenger: no candidate is waiting for the evaluation slot");
  if (!hasTrades) return idle("no paper_trades table: the bot has not written any trades");

  const startMs = evaluationStartMs(roles)!;
  const maxMs = policy.challengerMaxDays * DAY_MS;
  const expiresAtMs = startMs + maxMs;
  const expired = options.nowMs >= expiresAtMs;
  const attribution = attributeTrades(
    loaded.trades,
    { champion: roles.champion.version, challenger: roles.challenger.version, startMs, championSinceMs: roles.champion.sinceMs, nowMs: options.nowMs },
    roleTimeline(events),
  );
  const a = armMetrics(attribution.a.returns, attribution.a.closeTsMs);
  const b = armMetrics(attribution.b.returns, attribution.b.closeTsMs);
  throwIfAborted(options.signal);

  const evidence = policy.evidence ?? "paper";
  const looks = priorLooks(conn, { champion: roles.champion.version, challenger: roles.challenger.version, startMs, evidence });
  const alphaK = roles.challenger.alpha ?? policy.alpha;
  const shadow =
    options.shadow && options.shadow.versionA === roles.champion.version && options.shadow.versionB === roles.challenger.version ? options.shadow : null;
  const previousFractions = looks.map((l) => l.informationFraction);
  if (evidence === "shadow") {
    // n_max = paired bars expected by expiry: the bar rate of the shadow window so far, extrapolated.
    const nMaxPerArm =
      looks[0]?.nMaxPerArm ??
      (shadow?.windowStartMs != null ? expectedTradesAtExpiry(shadow.bars, options.nowMs - shadow.windowStartMs, expiresAtMs - shadow.windowStartMs) : 0);
    const decision = decideOnShadow(shadow, { alpha: alphaK, previousFractions, nMaxBars: nMaxPerArm, expired, pinned: roles.pinned });
    return { ...base, startMs, expiresAtMs, expired, alphaK, nMaxPerArm, previousLooks: looks.length, attribution, a, b, decision, idle: null, evidence, shadow };
  }
  // n_max is fixed at the first look: the slower arm's trade rate so far, extrapolated to expiry.
  const nMaxPerArm = looks[0]?.nMaxPerArm ?? expectedTradesAtExpiry(Math.min(a.trades, b.trades), options.nowMs - startMs, maxMs);
  const decision = decidePromotion(
    a,
    b,
    { minTradesPerArm: policy.minTradesPerArm, shadowWorseP: policy.shadowWorseP },
    {
      alpha: alphaK,
      previousFractions,
      nMaxPerArm,
      expired,
      pinned: roles.pinned,
      ...(options.shadow !== undefined && { shadow }),
    },
  );
  return { ...base, startMs, expiresAtMs, expired, alphaK, nMaxPerArm, previousLooks: looks.length, attribution, a, b, decision, idle: null, evidence, shadow };
}
