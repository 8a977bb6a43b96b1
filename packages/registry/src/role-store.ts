// The role history in the database (`model_role_events`, this package's table) and the files
// that mirror it for the bot: pointers/candidate.json, pointers/v2_paper.json (challenger),
// pointers/v2_paper_prev.json, pointers/v1_backtest.json (frozen) and active_model.json
// (champion). The database is the source of truth: every role change is one row written in the
// caller's transaction; `syncRoleFiles` writes the mirrors after the commit and repairs them
// after a crash in between, as `reconcileActiveModelFile` does for the champion.
import { existsSync, unlinkSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { InputDataError, isoUtc, type Logger } from "@mlq/core";
import { modelRoleEvents, tableExists, writeTx, type Connection } from "@mlq/db";
import { readActiveState, reconcileActiveModelFile, writeActiveState, type ActiveModelState } from "./active-model.js";
import { ARM_A, ARM_B, pointerPath, readPointer, setPointer } from "./pointers.js";
import {
  applyRoleEvent,
  EMPTY_ROLES,
  replayRoles,
  ROLE_EVENTS,
  ROLES,
  type RoleEvent,
  type RoleEventName,
  type RoleName,
  type RoleState,
} from "./role-history.js";
import { allocateChallengerAlpha } from "./challenger-alpha.js";
import { listVersions, verifyVersion } from "./version-store.js";

export interface StoredRoleEvent extends RoleEvent {
  readonly id: number;
  readonly tsIso: string;
  readonly details: string | null;
}

export function readRoleEvents(conn: Connection): StoredRoleEvent[] {
  if (!tableExists(conn.sqlite, "model_role_events")) return [];
  const rows = conn.sqlite
    .prepare(
      "SELECT id, ts_ms, ts_iso, event, version, role, previous_version, run_id, trigger, reason, alpha, details FROM model_role_events ORDER BY id",
    )
    .all() as Record<string, unknown>[];
  return rows.map((r) => ({
    id: r["id"] as number,
    tsMs: r["ts_ms"] as number,
    tsIso: r["ts_iso"] as string,
    event: asEvent(r["event"]),
    version: String(r["version"]),
    role: asRole(r["role"]),
    previousVersion: (r["previous_version"] as string | null) ?? null,
    runId: (r["run_id"] as number | null) ?? null,
    trigger: (r["trigger"] as string | null) ?? null,
    reason: (r["reason"] as string | null) ?? null,
    alpha: (r["alpha"] as number | null) ?? null,
    details: (r["details"] as string | null) ?? null,
  }));
}

/** The current roles: a replay of the history (InputDataError when the history contradicts itself). */
export function currentRoles(conn: Connection): RoleState {
  return replayRoles(readRoleEvents(conn));
}

export interface NewRoleEvent extends Omit<RoleEvent, "id"> {
  readonly details?: unknown;
}

/**
 * Appends events after checking each against the current roles; call inside the transaction
 * that makes the change (or on its own: it then opens one). Returns the roles after them.
 */
export function appendRoleEvents(conn: Connection, events: readonly NewRoleEvent[]): RoleState {
  const run = () => {
    let state = currentRoles(conn);
    for (const e of events) {
      state = applyRoleEvent(state, e);
      conn.db
        .insert(modelRoleEvents)
        .values({
          tsMs: e.tsMs,
          tsIso: isoUtc(e.tsMs),
          event: e.event,
          version: e.version,
          role: e.role,
          previousVersion: e.previousVersion ?? null,
          runId: e.runId ?? null,
          trigger: e.trigger ?? null,
          reason: e.reason ?? null,
          alpha: e.alpha ?? null,
          details: e.details === undefined ? null : JSON.stringify(e.details),
        })
        .run();
    }
    return state;
  };
  return conn.sqlite.inTransaction ? run() : writeTx(conn, run);
}

/** The `ab_active_model` row for a champion version (the bot's active_model.json follows it). */
export function championActiveState(modelsDir: string, state: RoleState, swap: { runId: number | null; nowMs: number }): ActiveModelState {
  const champion = state.champion;
  if (!champion) throw new Error("championActiveState: no champion");
  const verified = verifyVersion(modelsDir, champion.version);
  // The rollback target is recorded even when its files are damaged; a rollback to it is refused then.
  const prev = state.previousChampion ? softVerify(modelsDir, state.previousChampion.version) : null;
  const v1 = state.v1Backtest?.version;
  return {
    activeArm: champion.version === v1 ? ARM_A : ARM_B,
    versionDir: verified.versionDir,
    manifestSha256: verified.manifestSha256,
    swappedAt: isoUtc(swap.nowMs),
    swapRunId: swap.runId,
    previousArm: prev === null ? null : state.previousChampion!.version === v1 ? ARM_A : ARM_B,
    previousVersionDir: prev?.versionDir ?? null,
    previousManifestSha256: prev?.manifestSha256 ?? null,
  };
}

function softVerify(modelsDir: string, version: string): { versionDir: string; manifestSha256: string | null } {
  try {
    return verifyVersion(modelsDir, version);
  } catch {
    return { versionDir: join(resolve(modelsDir), version), manifestSha256: null };
  }
}

/**
 * Records a change of champion (register-as-first, promote, force_swap, rollback): the history
 * row and the `ab_active_model` row in the caller's transaction. Files follow with syncRoleFiles.
 */
export function recordChampionChange(conn: Connection, modelsDir: string, event: NewRoleEvent): RoleState {
  const state = appendRoleEvents(conn, [event]);
  writeActiveState(conn, championActiveState(modelsDir, state, { runId: event.runId ?? null, nowMs: event.tsMs }));
  return state;
}

export interface RegisterOptions {
  readonly version: string;
  readonly runId: number | null;
  readonly trigger: string;
  readonly nowMs: number;
}

/** A retrain's new version: the first one becomes champion and baseline, later ones wait as candidates. */
export function registerVersion(conn: Connection, modelsDir: string, opts: RegisterOptions): RoleState {
  verifyVersion(modelsDir, opts.version);
  return writeTx(conn, () => {
    const first = currentRoles(conn).champion === null;
    const event: NewRoleEvent = {
      tsMs: opts.nowMs,
      event: "register",
      version: opts.version,
      role: first ? "champion" : "candidate",
      runId: opts.runId,
      trigger: opts.trigger,
      reason: first ? "first version: champion and v1_backtest baseline" : "waiting for the evaluation slot",
    };
    return first ? recordChampionChange(conn, modelsDir, event) : appendRoleEvents(conn, [event]);
  });
}

export interface SlotOutcome {
  readonly took: string | null;
  readonly skipped: string[];
  readonly alpha: number | null;
  readonly state: RoleState;
}

/**
 * When the evaluation slot is free, the newest waiting candidate takes it with α_k from
 * `allocate(grants)`; older waiting candidates are recorded as skipped. One transaction.
 */
export function fillEvaluationSlot(conn: Connection, opts: { nowMs: number; allocate: (state: RoleState) => number }): SlotOutcome {
  return writeTx(conn, () => {
    const state = currentRoles(conn);
    if (state.challenger || state.candidates.length === 0) return { took: null, skipped: [], alpha: null, state };
    const newest = state.candidates[state.candidates.length - 1]!;
    const older = state.candidates.slice(0, -1);
    const alpha = opts.allocate(state);
    const after = appendRoleEvents(conn, [
      ...older.map((c): NewRoleEvent => ({
        tsMs: opts.nowMs,
        event: "skip",
        version: c.version,
        role: "none",
        reason: `superseded by the newer candidate ${newest.version}`,
      })),
      {
        tsMs: opts.nowMs,
        event: "take_slot",
        version: newest.version,
        role: "challenger",
        previousVersion: null,
        alpha,
        reason: `evaluation slot free; α_k ${alpha}`,
      },
    ]);
    return { took: newest.version, skipped: older.map((c) => c.version), alpha, state: after };
  });
}

/** α_k and the yearly budget of the online allocation across challengers (SPEC §6). */
export interface AlphaPolicy {
  readonly alpha: number;
  readonly budget: number;
}

/** fillEvaluationSlot with α_k from the online allocation over the history's grants. */
export function fillSlotWithAlpha(conn: Connection, opts: { nowMs: number; policy: AlphaPolicy }): SlotOutcome {
  return fillEvaluationSlot(conn, { nowMs: opts.nowMs, allocate: (state) => allocateChallengerAlpha(state.grants, opts.nowMs, opts.policy).alpha });
}

export interface RegisterOutcome {
  /** The role the new version holds once the slot was offered: champion (first version), challenger or candidate. */
  readonly role: "champion" | "challenger" | "candidate";
  readonly slot: SlotOutcome;
  readonly state: RoleState;
}

/**
 * A retrain's new version, registered and — when the evaluation slot is free — given the slot at
 * once, in one transaction: the bot can paper-trade it from the next bar on.
 */
export function registerAndOffer(conn: Connection, modelsDir: string, opts: RegisterOptions & { policy: AlphaPolicy }): RegisterOutcome {
  return writeTx(conn, () => {
    const registered = registerVersion(conn, modelsDir, opts);
    if (registered.champion?.version === opts.version)
      return { role: "champion", slot: { took: null, skipped: [], alpha: null, state: registered }, state: registered };
    const slot = fillSlotWithAlpha(conn, { nowMs: opts.nowMs, policy: opts.policy });
    return { role: slot.took === opts.version ? "challenger" : "candidate", slot, state: slot.state };
  });
}

/** Ends the current challenger's evaluation without a promotion (reject or expire). */
export function endChallenger(
  conn: Connection,
  opts: { event: "reject" | "expire"; nowMs: number; runId: number | null; reason: string; trigger: string },
): RoleState {
  const challenger = currentRoles(conn).challenger;
  if (!challenger) return currentRoles(conn);
  return appendRoleEvents(conn, [
    {
      tsMs: opts.nowMs,
      event: opts.event,
      version: challenger.version,
      role: "none",
      runId: opts.runId,
      reason: opts.reason,
      trigger: opts.trigger,
    },
  ]);
}

/**
 * Seeds an install that predates the role history from its pointers and `ab_active_model`: the
 * champion (the active row's version, else the baseline), the previous champion, the baseline
 * and, when v2_paper names another version, that version as the challenger. No-op once seeded.
 */
export function seedRoleHistory(conn: Connection, modelsDir: string, opts: { nowMs: number; alpha: number }): RoleState {
  return writeTx(conn, () => {
    if (readRoleEvents(conn).length > 0) return currentRoles(conn);
    const v1 = readPointer(modelsDir, "v1_backtest");
    const v2 = readPointer(modelsDir, "v2_paper");
    const active = readActiveState(conn);
    const champion = active?.versionDir
      ? basename(active.versionDir)
      : active?.activeArm === ARM_B
        ? (v2?.version ?? null)
        : (v1?.version ?? null);
    const previous = active?.previousVersionDir ? basename(active.previousVersionDir) : null;
    // Since when each held its role, as far as the install recorded it: the champion since its swap,
    // the challenger since its pointer was written (so a first evaluation has its history to compare).
    const sinceOf = (iso: string | null | undefined): number => {
      const t = iso ? Date.parse(iso) : NaN;
      return Number.isFinite(t) && t <= opts.nowMs ? t : opts.nowMs;
    };
    const seed = (role: RoleName, version: string, alpha: number | null = null, tsMs = opts.nowMs): NewRoleEvent => ({
      tsMs,
      event: "seed",
      version,
      role,
      trigger: "migration",
      reason: "seeded from the pointers and ab_active_model of an install that predates the role history",
      alpha,
    });
    const events: NewRoleEvent[] = [];
    if (v1) events.push(seed("v1_backtest", v1.version));
    if (champion) events.push(seed("champion", champion, null, sinceOf(active?.swappedAt)));
    if (previous && previous !== champion) events.push(seed("previous_champion", previous));
    if (v2 && v2.version !== champion) events.push(seed("challenger", v2.version, opts.alpha, sinceOf(v2.updatedAt)));
    return events.length ? appendRoleEvents(conn, events) : EMPTY_ROLES;
  });
}

/**
 * Makes the files agree with the history: v2_paper names the challenger (the one it replaces
 * moves to v2_paper_prev first), candidate.json the newest waiting candidate (removed when none
 * waits), v1_backtest the baseline, active_model.json the champion. Returns what it rewrote.
 */
export function syncRoleFiles(conn: Connection, modelsDir: string, logger: Logger): string[] {
  const state = currentRoles(conn);
  const changed: string[] = [];
  if (state.v1Backtest && readPointer(modelsDir, "v1_backtest")?.version !== state.v1Backtest.version) {
    setPointer(modelsDir, "v1_backtest", state.v1Backtest.version);
    changed.push("v1_backtest");
  }
  const challenger = state.challenger?.version;
  const v2 = readPointer(modelsDir, ARM_B);
  if (challenger && v2?.version !== challenger) {
    if (v2) {
      setPointer(modelsDir, "v2_paper_prev", v2.version);
      changed.push("v2_paper_prev");
    }
    setPointer(modelsDir, ARM_B, challenger);
    changed.push(ARM_B);
  }
  const newest = state.candidates[state.candidates.length - 1]?.version;
  const candidatePath = pointerPath(modelsDir, "candidate");
  if (newest && readPointer(modelsDir, "candidate")?.version !== newest) {
    setPointer(modelsDir, "candidate", newest);
    changed.push("candidate");
  } else if (!newest && existsSync(candidatePath)) {
    unlinkSync(candidatePath);
    changed.push("candidate (removed)");
  }
  if (reconcileActiveModelFile(conn, modelsDir, logger) === "rewritten") changed.push("active_model.json");
  if (changed.length) logger.info("role files synced with the role history", { changed });
  return changed;
}

function asEvent(x: unknown): RoleEventName {
  if ((ROLE_EVENTS as readonly unknown[]).includes(x)) return x as RoleEventName;
  throw new Error(`model_role_events.event is ${JSON.stringify(x)}`);
}

function asRole(x: unknown): RoleName {
  if ((ROLES as readonly unknown[]).includes(x)) return x as RoleName;
  throw new Error(`model_role_events.role is ${JSON.stringify(x)}`);
}

/**
 * An operator ends an evaluation or a wait: the challenger is rejected, a waiting candidate is
 * skipped. InputDataError when the version holds neither role.
 */
export function rejectVersion(conn: Connection, opts: { version: string; nowMs: number; reason: string }): RoleState {
  return writeTx(conn, () => {
    const state = currentRoles(conn);
    const reason = `operator: ${opts.reason}`;
    if (state.challenger?.version === opts.version)
      return appendRoleEvents(conn, [
        { tsMs: opts.nowMs, event: "reject", version: opts.version, role: "none", trigger: "operator", reason },
      ]);
    if (state.candidates.some((c) => c.version === opts.version))
      return appendRoleEvents(conn, [
        { tsMs: opts.nowMs, event: "skip", version: opts.version, role: "none", trigger: "operator", reason },
      ]);
    throw new InputDataError(
      `version ${opts.version} is neither the challenger nor a waiting candidate (challenger: ${state.challenger?.version ?? "none"})`,
      {
        context: { version: opts.version },
      },
    );
  });
}

/** Holds the champion in place (no automatic rollback, no promotion) or releases it. `version` must be the champion. */
export function setPinned(conn: Connection, opts: { version: string; pinned: boolean; nowMs: number; reason: string }): RoleState {
  return writeTx(conn, () => {
    const state = currentRoles(conn);
    if (state.champion?.version !== opts.version)
      throw new InputDataError(`version ${opts.version} is not the champion (the champion is ${state.champion?.version ?? "none"})`, {
        context: { version: opts.version },
      });
    if (state.pinned === opts.pinned) return state;
    return appendRoleEvents(conn, [
      {
        tsMs: opts.nowMs,
        event: opts.pinned ? "pin" : "unpin",
        version: opts.version,
        role: "champion",
        trigger: "operator",
        reason: opts.reason,
      },
    ]);
  });
}

export interface VersionRoleView {
  readonly version: string;
  readonly versionDir: string;
  readonly createdAt: string | null;
  /** The roles it holds now (champion, challenger, candidate, previous_champion, v1_backtest), or [] */
  readonly roles: RoleName[];
  /** Since when it holds its main role. */
  readonly sinceMs: number | null;
  readonly barred: boolean;
}

/** Every version in the models dir with the roles it holds, newest first. */
export function listVersionRoles(conn: Connection, modelsDir: string): VersionRoleView[] {
  const state = currentRoles(conn);
  return listVersions(modelsDir)
    .map((v) => {
      const roles: RoleName[] = [];
      let since: number | null = null;
      const hold = (role: RoleName, h: { version: string; sinceMs: number } | null | undefined) => {
        if (h?.version !== v.version) return;
        roles.push(role);
        since ??= h.sinceMs;
      };
      hold("champion", state.champion);
      hold("challenger", state.challenger);
      for (const c of state.candidates) hold("candidate", c);
      hold("previous_champion", state.previousChampion);
      hold("v1_backtest", state.v1Backtest);
      return {
        version: v.version,
        versionDir: v.versionDir,
        createdAt: v.createdAt,
        roles,
        sinceMs: since,
        barred: state.barred.includes(v.version),
      };
    })
    .reverse();
}
