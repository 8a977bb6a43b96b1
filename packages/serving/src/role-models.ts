// The model sets the service predicts with, one per role (champion, challenger), following the role
// history in the database (what active_model.json and the pointers mirror). A role change loads the
// new version sha256-verified, then replaces the whole role table in one assignment: a request that
// took a set keeps using it to the end, so it never sees half of a swap. A version that fails to
// load leaves the old one serving; the failure is logged, counted and retried.
import { basename } from "node:path";
import { errorMessage, ModelIntegrityError, type Logger } from "@mlq/core";
import { requireTables, type Connection } from "@mlq/db";
import { loadScoringVersion, MODEL_NAMES, type ModelName, type ScoringVersion } from "@mlq/ml";
import { currentRoles, readActiveState, readPointer } from "@mlq/registry";

export const SERVED_ROLES = ["champion", "challenger"] as const;
export type ServedRole = (typeof SERVED_ROLES)[number];

/** One loaded version: its five boosters' bytes (scored in-process) and what the response reports. */
export interface ServedModelSet {
  readonly version: string;
  readonly manifestSha256: string;
  readonly models: ReadonlyMap<ModelName, Uint8Array>;
  /** The direction model's entry threshold from the manifest (`entry_threshold.threshold`), null in older versions. */
  readonly entryThreshold: number | null;
  readonly trainedThroughMs: number | null;
  /** Predictions already made with this set, keyed by `symbol@barTsMs`. */
  readonly cache: Map<string, Record<ModelName, number>>;
}

export interface RoleSlot {
  /** What requests for this role are answered with (null: nothing loaded). */
  readonly set: ServedModelSet | null;
  /** The version the role history names (null: the role is vacant). */
  readonly wanted: string | null;
  /** Why `set` is not `wanted`, for 503 answers and /healthz. */
  readonly problem: string | null;
}

export interface RoleModelsOptions {
  modelsDir: string;
  logger: Logger;
  /** A version that failed to load is tried again after this long (default 60 s) or when the roles change. */
  retryMs?: number;
  now?: () => number;
  /** Called once per failed load (for the failure counter). */
  onLoadFailure?: (role: ServedRole, version: string, error: string) => void;
  /** Called after a role's set was replaced. */
  onSwap?: (role: ServedRole, from: string | null, to: string | null) => void;
}

const EMPTY_SLOT: RoleSlot = { set: null, wanted: null, problem: null };

/** Wraps a version loaded for scoring (sha256-verified, the service's 11 features) once it has all five models. */
export function servedModelSet(loaded: ScoringVersion): ServedModelSet {
  const models = new Map<ModelName, Uint8Array>();
  for (const name of MODEL_NAMES) {
    const bytes = loaded.models.get(name);
    if (!bytes)
      throw new ModelIntegrityError(`model version ${loaded.version} has no ${name} model`, { context: { version: loaded.version } });
    models.set(name, bytes);
  }
  return {
    version: loaded.version,
    manifestSha256: loaded.manifestSha256,
    models,
    entryThreshold: loaded.entryThreshold,
    trainedThroughMs: loaded.trainedThroughMs,
    cache: new Map(),
  };
}

export class RoleModels {
  private slots: Readonly<Record<ServedRole, RoleSlot>> = { champion: EMPTY_SLOT, challenger: EMPTY_SLOT };
  private signature = "";
  private readonly failedAt = new Map<string, number>();
  private readonly retryMs: number;
  private readonly now: () => number;

  constructor(private readonly options: RoleModelsOptions) {
    this.retryMs = options.retryMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The role's current slot; hold on to the returned object for the whole request. */
  slot(role: ServedRole): RoleSlot {
    return this.slots[role];
  }

  /**
   * Re-reads the roles when the history or the active model changed (or a failed load is due for a
   * retry) and swaps in newly named versions. Returns the roles whose set changed.
   */
  refresh(conn: Connection): ServedRole[] {
    requireTables(conn, ["model_role_events", "ab_active_model"]);
    const sig = conn.sqlite
      .prepare(
        "SELECT (SELECT coalesce(max(id), 0) || '/' || count(*) FROM model_role_events) || '/' || coalesce((SELECT manifest_sha256 FROM ab_active_model WHERE id = 1), '')",
      )
      .pluck()
      .get() as string;
    const retryDue = [...this.failedAt.values()].some((at) => this.now() - at >= this.retryMs);
    if (sig === this.signature && !retryDue) return [];
    this.signature = sig;
    const roles = currentRoles(conn);
    const active = readActiveState(conn);
    const next: Record<ServedRole, RoleSlot> = { ...this.slots };
    const swapped: ServedRole[] = [];
    for (const role of SERVED_ROLES) {
      const wanted = (role === "champion" ? roles.champion : roles.challenger)?.version ?? null;
      const old = this.slots[role];
      if (wanted === old.set?.version && old.problem === null) {
        next[role] = old;
        continue;
      }
      if (wanted === null) {
        next[role] = EMPTY_SLOT;
        if (old.set) swapped.push(role);
        continue;
      }
      if (wanted === old.set?.version) {
        next[role] = { set: old.set, wanted, problem: null };
        continue;
      }
      const key = `${role}/${wanted}`;
      const failed = this.failedAt.get(key);
      if (failed !== undefined && this.now() - failed < this.retryMs && old.wanted === wanted) {
        next[role] = old;
        continue;
      }
      try {
        const sha = role === "champion" ? championSha(active, wanted) : pointerSha(this.options.modelsDir, wanted);
        const set = servedModelSet(loadScoringVersion(this.options.modelsDir, sha ? { version: wanted, manifestSha256: sha } : wanted));
        this.failedAt.delete(key);
        next[role] = { set, wanted, problem: null };
        swapped.push(role);
        this.options.logger.info("serve: model set loaded", { role, version: wanted, previous: old.set?.version ?? null });
      } catch (err) {
        const why = errorMessage(err);
        this.failedAt.set(key, this.now());
        const serving = old.set ? `; still serving ${old.set.version}` : "";
        next[role] = { set: old.set, wanted, problem: `${role} version ${wanted} failed to load: ${why}${serving}` };
        this.options.logger.error("serve: model set failed to load", {
          role,
          version: wanted,
          error: why,
          serving: old.set?.version ?? null,
        });
        this.options.onLoadFailure?.(role, wanted, why);
      }
    }
    for (const key of [...this.failedAt.keys()]) {
      const [role, version] = key.split("/") as [ServedRole, string];
      if (next[role].wanted !== version) this.failedAt.delete(key);
    }
    const before = this.slots;
    this.slots = next;
    for (const role of swapped) this.options.onSwap?.(role, before[role].set?.version ?? null, next[role].set?.version ?? null);
    return swapped;
  }
}

/** The manifest sha256 `ab_active_model` records for the champion, when it names that version. */
function championSha(active: ReturnType<typeof readActiveState>, version: string): string | null {
  if (!active?.versionDir || !active.manifestSha256) return null;
  return basename(active.versionDir) === version ? active.manifestSha256 : null;
}

/** The manifest sha256 of the v2_paper pointer, when it names that version. */
function pointerSha(modelsDir: string, version: string): string | null {
  const pointer = readPointer(modelsDir, "v2_paper");
  return pointer?.version === version ? pointer.manifestSha256 : null;
}
