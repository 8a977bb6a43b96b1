// The promotion loop's roles as a replay of the role history (SPEC §6). Pure: events in, the
// current roles out, and every event checked against the state it changes, so a history that
// contradicts itself is reported rather than silently believed.
import { InputDataError } from "@mlq/core";

export const ROLE_EVENTS = [
  "seed",
  "register",
  "take_slot",
  "skip",
  "promote",
  "force_swap",
  "reject",
  "expire",
  "rollback",
  "pin",
  "unpin",
] as const;
export type RoleEventName = (typeof ROLE_EVENTS)[number];
export const ROLES = ["candidate", "challenger", "champion", "previous_champion", "v1_backtest", "none"] as const;
export type RoleName = (typeof ROLES)[number];

export interface RoleEvent {
  readonly id?: number;
  readonly tsMs: number;
  readonly event: RoleEventName;
  readonly version: string;
  /** The role the version holds after the event. */
  readonly role: RoleName;
  readonly previousVersion?: string | null;
  readonly runId?: number | null;
  readonly trigger?: string | null;
  readonly reason?: string | null;
  readonly alpha?: number | null;
}

export interface Holder {
  readonly version: string;
  /** When the version took the role. */
  readonly sinceMs: number;
}

export interface ChallengerHolder extends Holder {
  /** α_k granted when it took the slot. */
  readonly alpha: number | null;
}

export interface CandidateHolder extends Holder {
  readonly trigger: string | null;
  readonly runId: number | null;
}

export interface RoleState {
  readonly champion: Holder | null;
  readonly previousChampion: Holder | null;
  readonly challenger: ChallengerHolder | null;
  /** Registered and waiting for the evaluation slot, oldest first. */
  readonly candidates: readonly CandidateHolder[];
  readonly v1Backtest: Holder | null;
  readonly pinned: boolean;
  /** Versions rolled back by the monitor: never champion again without winning a new A/B. */
  readonly barred: readonly string[];
  /** Every α_k granted, for the online allocation across challengers. */
  readonly grants: readonly { tsMs: number; alpha: number }[];
}

export const EMPTY_ROLES: RoleState = Object.freeze({
  champion: null,
  previousChampion: null,
  challenger: null,
  candidates: [],
  v1Backtest: null,
  pinned: false,
  barred: [],
  grants: [],
});

/** When the current evaluation began: the later of the challenger taking the slot and the champion taking its role. */
export function evaluationStartMs(state: RoleState): number | null {
  if (!state.challenger) return null;
  return Math.max(state.challenger.sinceMs, state.champion?.sinceMs ?? -Infinity);
}

/** Applies one event; throws InputDataError naming the event when it contradicts the state. */
export function applyRoleEvent(state: RoleState, e: RoleEvent): RoleState {
  const bad = (why: string) =>
    new InputDataError(
      `role history event${e.id === undefined ? "" : ` #${e.id}`} (${e.event} ${e.version}) contradicts the roles: ${why}`,
      { context: { event: e } },
    );
  const since = (version: string): Holder => ({ version, sinceMs: e.tsMs });
  const withoutCandidate = state.candidates.filter((c) => c.version !== e.version);
  switch (e.event) {
    case "seed":
      switch (e.role) {
        case "champion":
          return { ...state, champion: since(e.version) };
        case "previous_champion":
          return { ...state, previousChampion: since(e.version) };
        case "challenger":
          return {
            ...state,
            challenger: { ...since(e.version), alpha: e.alpha ?? null },
            grants: e.alpha ? [...state.grants, { tsMs: e.tsMs, alpha: e.alpha }] : state.grants,
          };
        case "v1_backtest":
          return { ...state, v1Backtest: since(e.version) };
        case "candidate":
          return {
            ...state,
            candidates: [...withoutCandidate, { ...since(e.version), trigger: e.trigger ?? null, runId: e.runId ?? null }],
          };
        default:
          throw bad(`a seed cannot give the role ${e.role}`);
      }
    case "register":
      if (
        state.candidates.some((c) => c.version === e.version) ||
        state.challenger?.version === e.version ||
        state.champion?.version === e.version
      )
        throw bad("the version is already registered");
      if (e.role === "champion") {
        // The first version has nothing to be compared with: it is champion and baseline at once.
        if (state.champion) throw bad(`the champion is ${state.champion.version}`);
        return { ...state, champion: since(e.version), v1Backtest: state.v1Backtest ?? since(e.version) };
      }
      return {
        ...state,
        candidates: [...state.candidates, { ...since(e.version), trigger: e.trigger ?? null, runId: e.runId ?? null }],
        v1Backtest: state.v1Backtest ?? since(e.version),
      };
    case "take_slot":
      if (state.challenger) throw bad(`the slot is held by ${state.challenger.version}`);
      if (!state.candidates.some((c) => c.version === e.version)) throw bad("the version is not a waiting candidate");
      return {
        ...state,
        candidates: withoutCandidate,
        challenger: { ...since(e.version), alpha: e.alpha ?? null },
        grants: e.alpha ? [...state.grants, { tsMs: e.tsMs, alpha: e.alpha }] : state.grants,
      };
    case "skip":
      if (!state.candidates.some((c) => c.version === e.version)) throw bad("the version is not a waiting candidate");
      return { ...state, candidates: withoutCandidate };
    case "reject":
    case "expire":
      if (state.challenger?.version !== e.version) throw bad(`the challenger is ${state.challenger?.version ?? "nobody"}`);
      return { ...state, challenger: null };
    case "promote":
      if (state.challenger?.version !== e.version) throw bad(`the challenger is ${state.challenger?.version ?? "nobody"}`);
      return {
        ...state,
        challenger: null,
        champion: since(e.version),
        previousChampion: state.champion ? since(state.champion.version) : null,
        barred: state.barred.filter((v) => v !== e.version),
        pinned: false,
      };
    case "force_swap":
      if (state.barred.includes(e.version)) throw bad("the version was rolled back and must win a new A/B first");
      return {
        ...state,
        challenger: state.challenger?.version === e.version ? null : state.challenger,
        candidates: withoutCandidate,
        champion: since(e.version),
        previousChampion: state.champion && state.champion.version !== e.version ? since(state.champion.version) : state.previousChampion,
        pinned: false,
      };
    case "rollback":
      if (!state.champion) throw bad("there is no champion to roll back");
      if (state.previousChampion?.version !== e.version) throw bad(`the rollback target is ${state.previousChampion?.version ?? "nobody"}`);
      return {
        ...state,
        champion: since(e.version),
        previousChampion: null,
        barred: [...state.barred.filter((v) => v !== state.champion!.version), state.champion.version],
        pinned: false,
      };
    case "pin":
    case "unpin":
      if (state.champion?.version !== e.version) throw bad(`the champion is ${state.champion?.version ?? "nobody"}`);
      return { ...state, pinned: e.event === "pin" };
  }
}

export function replayRoles(events: readonly RoleEvent[]): RoleState {
  return events.reduce(applyRoleEvent, EMPTY_ROLES);
}

/** Who held a role from `fromMs` until `toMs` (exclusive; Infinity while it still holds it). */
export interface RoleSpan {
  readonly version: string;
  readonly fromMs: number;
  readonly toMs: number;
}

export interface RoleTimeline {
  readonly champion: readonly RoleSpan[];
  readonly challenger: readonly RoleSpan[];
  /** Every version the history names (registered, seeded or swapped in). */
  readonly known: ReadonlySet<string>;
}

/** The champion's and the challenger's spans over time, from a replay of the history. */
export function roleTimeline(events: readonly RoleEvent[]): RoleTimeline {
  const champion: RoleSpan[] = [];
  const challenger: RoleSpan[] = [];
  const known = new Set<string>();
  let state = EMPTY_ROLES;
  const track = (spans: RoleSpan[], before: Holder | null, after: Holder | null, tsMs: number) => {
    if (before?.version === after?.version && before?.sinceMs === after?.sinceMs) return;
    const open = spans[spans.length - 1];
    if (before && open && open.toMs === Infinity) spans[spans.length - 1] = { ...open, toMs: tsMs };
    if (after) spans.push({ version: after.version, fromMs: after.sinceMs, toMs: Infinity });
  };
  for (const e of events) {
    known.add(e.version);
    const next = applyRoleEvent(state, e);
    track(champion, state.champion, next.champion, e.tsMs);
    track(challenger, state.challenger, next.challenger, e.tsMs);
    state = next;
  }
  return { champion, challenger, known };
}

/** The version holding a role at `tsMs` per the timeline, or null. */
export function holderAt(spans: readonly RoleSpan[], tsMs: number): string | null {
  for (let i = spans.length - 1; i >= 0; i--) {
    const s = spans[i]!;
    if (s.fromMs <= tsMs && tsMs < s.toMs) return s.version;
  }
  return null;
}
