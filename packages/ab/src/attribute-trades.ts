// Version-exact arms (SPEC §6): A = the champion's version, B = the challenger's. A trade belongs
// to a version by `model_version` when the bot writes it, else by `model_arm` + who held that role
// at the trade's entry, else (untagged) temporally around the evaluation's start. Only trades
// opened during the evaluation count for B; trades naming a version the registry never knew are
// counted and reported, never attributed.
import { ARM_A, ARM_B, holderAt, type RoleTimeline } from "@mlq/registry";
import type { AbTrade, ArmSample } from "./ab-trade.js";

export type AttributionMethod = "model_version" | "model_arm" | "temporal";

export interface Evaluation {
  readonly champion: string;
  readonly challenger: string;
  /** The later of the challenger taking the slot and the champion taking its role. */
  readonly startMs: number;
  /** When the current champion became champion (untagged A trades are clipped to it). */
  readonly championSinceMs: number;
  readonly nowMs: number;
}

export interface Attribution {
  readonly method: AttributionMethod;
  readonly a: ArmSample;
  readonly b: ArmSample;
  readonly counts: {
    /** Trades naming a version the role history never knew (never attributed). */
    readonly unknownVersion: number;
    /** The distinct unknown versions, for the report. */
    readonly unknownVersions: readonly string[];
    /** Trades of other known versions, or of the arms but opened outside the evaluation. */
    readonly outside: number;
    /** Untagged trades left out because other trades in the window are tagged. */
    readonly untaggedLeftOut: number;
    /** model_arm values that are not an arm label. */
    readonly unknownArm: number;
  };
  /** The temporal split's A window [from, to) when used. */
  readonly temporalA: { fromMs: number; toMs: number } | null;
}

/** Trades in (close time, id) order; the result arms keep that order. */
export function attributeTrades(trades: readonly AbTrade[], ev: Evaluation, timeline: RoleTimeline): Attribution {
  const ordered = isCloseOrdered(trades) ? trades : [...trades].sort((x, y) => x.closedTsMs - y.closedTsMs || x.id - y.id);
  const a: ArmSample = { returns: [], closeTsMs: [] };
  const b: ArmSample = { returns: [], closeTsMs: [] };
  const push = (arm: ArmSample, t: AbTrade) => {
    arm.returns.push(t.pnlPct);
    arm.closeTsMs.push(t.closedTsMs);
  };
  const unknown = new Set<string>();
  let unknownVersion = 0;
  let outside = 0;
  let untaggedLeftOut = 0;
  let unknownArm = 0;
  const inEvaluation = (t: AbTrade) => t.openedTsMs >= ev.startMs && t.openedTsMs <= ev.nowMs;
  const tagged = ordered.some((t) => !!t.modelVersion || t.modelArm === ARM_A || t.modelArm === ARM_B);
  const method: AttributionMethod = ordered.some((t) => !!t.modelVersion) ? "model_version" : tagged ? "model_arm" : "temporal";

  if (tagged) {
    for (const t of ordered) {
      let version: string | null;
      if (t.modelVersion) {
        if (!timeline.known.has(t.modelVersion)) {
          unknownVersion++;
          unknown.add(t.modelVersion);
          continue;
        }
        version = t.modelVersion;
      } else if (t.modelArm === ARM_A) version = holderAt(timeline.champion, t.openedTsMs);
      else if (t.modelArm === ARM_B) version = holderAt(timeline.challenger, t.openedTsMs);
      else {
        if (t.modelArm) unknownArm++;
        else untaggedLeftOut++;
        continue;
      }
      if (version === ev.champion && inEvaluation(t)) push(a, t);
      else if (version === ev.challenger && inEvaluation(t)) push(b, t);
      else outside++;
    }
    return {
      method,
      a,
      b,
      counts: { unknownVersion, unknownVersions: [...unknown].sort(), outside, untaggedLeftOut, unknownArm },
      temporalA: null,
    };
  }

  // Untagged: B = opened since the evaluation began; A = the same length of time before it,
  // clipped to when the current champion became champion.
  const length = Math.max(0, ev.nowMs - ev.startMs);
  const aFrom = Math.max(ev.startMs - length, ev.championSinceMs);
  for (const t of ordered) {
    if (inEvaluation(t)) push(b, t);
    else if (t.openedTsMs >= aFrom && t.openedTsMs < ev.startMs) push(a, t);
    else outside++;
  }
  return {
    method,
    a,
    b,
    counts: { unknownVersion: 0, unknownVersions: [], outside, untaggedLeftOut: 0, unknownArm },
    temporalA: { fromMs: aFrom, toMs: ev.startMs },
  };
}

function isCloseOrdered(trades: readonly AbTrade[]): boolean {
  for (let i = 1; i < trades.length; i++) {
    const p = trades[i - 1]!;
    const c = trades[i]!;
    if (c.closedTsMs < p.closedTsMs || (c.closedTsMs === p.closedTsMs && c.id < p.id)) return false;
  }
  return true;
}
