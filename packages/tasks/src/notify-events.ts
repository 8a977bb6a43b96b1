// The events a task raises (SPEC §8 "notify"), built from what it wrote: the role-history rows a
// run appended (swaps, rollbacks, rejected / expired challengers, skipped candidates) and a drift
// retrain's summary. `withRoleNotices` is the hook around a task: it notes the last history row
// before the run and raises an event for each notable row after it, also when the run failed
// after committing a change. An event id is derived from its row, so a row seen by two runs at
// once is raised once (the notify job id is the event id).
import { existsSync } from "node:fs";
import { errorMessage, type Logger } from "@mlq/core";
import type { Config } from "@mlq/config";
import { openDatabase, tableExists } from "@mlq/db";
import { readRoleEvents, type StoredRoleEvent } from "@mlq/registry";

export type NoticeType =
  | "champion.promoted"
  | "champion.force_swapped"
  | "champion.rolled_back"
  | "challenger.rejected"
  | "challenger.expired"
  | "candidate.skipped"
  | "retrain.drift";

export interface Notice {
  readonly id: string;
  readonly type: NoticeType;
  readonly occurredAt: string;
  readonly summary: string;
  readonly data: Record<string, unknown>;
}

/** Raises events; never rejects (apps pass the notify queue's notifier). */
export type RaiseNotices = (events: readonly Notice[]) => Promise<unknown>;

const ROLE_NOTICES: Partial<Record<StoredRoleEvent["event"], NoticeType>> = {
  promote: "champion.promoted",
  force_swap: "champion.force_swapped",
  rollback: "champion.rolled_back",
  reject: "challenger.rejected",
  expire: "challenger.expired",
  skip: "candidate.skipped",
};

const clip = (s: string, n = 1000) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** One event per notable role-history row (register, take_slot, seed, pin and unpin are not events). */
export function roleEventNotices(events: readonly StoredRoleEvent[]): Notice[] {
  return events.flatMap((e): Notice[] => {
    const type = ROLE_NOTICES[e.event];
    if (!type) return [];
    const what =
      type === "champion.promoted"
        ? `version ${e.version} promoted to champion${e.previousVersion ? ` (was ${e.previousVersion})` : ""}`
        : type === "champion.force_swapped"
          ? `version ${e.version} forced in as champion${e.previousVersion ? ` (was ${e.previousVersion})` : ""}`
          : type === "champion.rolled_back"
            ? `champion rolled back to ${e.version}${e.previousVersion ? ` from ${e.previousVersion}` : ""}`
            : type === "challenger.rejected"
              ? `challenger ${e.version} rejected`
              : type === "challenger.expired"
                ? `challenger ${e.version} expired`
                : `candidate ${e.version} skipped`;
    return [
      {
        id: `role-${e.id}-${e.event}-${e.tsMs}`,
        type,
        occurredAt: new Date(e.tsMs).toISOString(),
        summary: clip(`${what}${e.reason ? `: ${e.reason}` : ""}`),
        data: {
          event: e.event,
          version: e.version,
          role: e.role,
          previousVersion: e.previousVersion ?? null,
          runId: e.runId ?? null,
          trigger: e.trigger ?? null,
          reason: e.reason === null || e.reason === undefined ? null : clip(e.reason, 4000),
          historyId: e.id,
        },
      },
    ];
  });
}

/** The last role-history row id (0 when the history is empty or the database has none yet). */
export function lastRoleEventId(dbPath: string): number {
  return withReadOnly(
    dbPath,
    0,
    (sqlite) => (sqlite.prepare("SELECT COALESCE(MAX(id), 0) AS id FROM model_role_events").get() as { id: number }).id,
  );
}

/** Role-history rows after `afterId`, oldest first. */
export function roleEventsAfter(dbPath: string, afterId: number): StoredRoleEvent[] {
  return withReadOnly(dbPath, [], (_sqlite, conn) => readRoleEvents(conn).filter((e) => e.id > afterId));
}

function withReadOnly<T>(
  dbPath: string,
  empty: T,
  fn: (sqlite: ReturnType<typeof openDatabase>["sqlite"], conn: ReturnType<typeof openDatabase>) => T,
): T {
  if (!existsSync(dbPath)) return empty;
  const conn = openDatabase(dbPath, { readonly: true });
  try {
    return tableExists(conn.sqlite, "model_role_events") ? fn(conn.sqlite, conn) : empty;
  } finally {
    conn.close();
  }
}

/**
 * Runs `run` and raises an event for each notable role change it (or anyone, meanwhile) recorded.
 * Reading the history or raising never fails the run: problems are logged.
 */
export async function withRoleNotices<T>(
  config: Pick<Config, "dbPath">,
  raise: RaiseNotices | undefined,
  logger: Logger,
  run: () => Promise<T>,
): Promise<T> {
  if (!raise) return run();
  let mark: number | null = null;
  try {
    mark = lastRoleEventId(config.dbPath);
  } catch (err) {
    logger.warn("events: could not read the role history before the run", { error: errorMessage(err) });
  }
  const raiseSince = async () => {
    if (mark === null) return;
    try {
      const notices = roleEventNotices(roleEventsAfter(config.dbPath, mark));
      if (notices.length) await raise(notices);
    } catch (err) {
      logger.warn("events: could not raise the run's role changes", { error: errorMessage(err) });
    }
  };
  try {
    const out = await run();
    await raiseSince();
    return out;
  } catch (err) {
    await raiseSince();
    throw err;
  }
}

/** A retrain with trigger `drift` ended: what came of it (a candidate, gates not passed, too little data). */
export function driftRetrainNotice(
  summary: { runId: number; outcome: string; message: string; version?: string | undefined; registered?: { role: string } | undefined },
  jobId: string | null | undefined,
  nowMs: number,
): Notice {
  return {
    id: `drift-retrain-run-${summary.runId}`,
    type: "retrain.drift",
    occurredAt: new Date(nowMs).toISOString(),
    summary: clip(`drift retrain run ${summary.runId} ${summary.outcome}: ${summary.message}`),
    data: {
      runId: summary.runId,
      jobId: jobId ?? null,
      outcome: summary.outcome,
      version: summary.version ?? null,
      role: summary.registered?.role ?? null,
      message: summary.message,
    },
  };
}
