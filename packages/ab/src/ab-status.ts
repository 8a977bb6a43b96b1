// `mlq ab --status`: who holds which role and since when, where the challenger's evaluation
// stands, and the latest runs with their decision tables.
import { listShadowRuns, type ShadowRunRecord } from "./shadow/shadow-runs.js";
import { isoUtc, silentLogger, type Logger } from "@mlq/core";
import { requireTables, type Connection } from "@mlq/db";
import { currentRoles, readActiveState, reconcileActiveModelFile, type ArmLabel, type ReconcileOutcome } from "@mlq/registry";
import { getAbRun, listAbRuns, type AbRunRecord } from "./ab-runs.js";
import { evaluateArms, type AbPolicy } from "./evaluate-arms.js";
import { activeModelView, type ActiveModelView } from "./run-ab-evaluation.js";

export interface RoleHolderView {
  readonly version: string;
  readonly sinceIso: string;
}

export interface StatusSummary {
  readonly active: ActiveModelView;
  readonly activeArm: ArmLabel;
  readonly champion: RoleHolderView | null;
  readonly challenger: (RoleHolderView & { readonly alphaK: number | null }) | null;
  readonly candidates: RoleHolderView[];
  readonly previousChampion: RoleHolderView | null;
  readonly v1Backtest: RoleHolderView | null;
  readonly pinned: boolean;
  /** Versions rolled back by the monitor (champion again only after winning a new A/B). */
  readonly barred: readonly string[];
  /** The run that made the active model active (null before the first swap). */
  readonly swapRun: AbRunRecord | null;
  readonly activeFile: ReconcileOutcome;
  /** Newest first. */
  readonly lastEvaluations: AbRunRecord[];
  /** What the A/B would see if it looked now (read-only, not a recorded look); null without a policy or a challenger. */
  readonly now: {
    readonly armA: { version: string; trades: number; sharpe: number | null; psr: number | null };
    readonly armB: { version: string; trades: number; sharpe: number | null; psr: number | null };
    readonly z: number | null;
    readonly boundary: number | null;
    readonly look: number | null;
    readonly informationFraction: number | null;
    readonly expiresIso: string | null;
    readonly wouldPromote: boolean;
  } | null;
  /** The newest shadow evaluation (any pair), or null before the first. */
  readonly lastShadow: ShadowRunRecord | null;
}

/** Reconciles active_model.json with the DB first (as every run does), then reports. */
export function abStatus(conn: Connection, modelsDir: string, options: { last?: number; logger?: Logger; policy?: AbPolicy; nowMs?: number } = {}): StatusSummary {
  requireTables(conn, ["ab_test_runs", "ab_active_model", "model_role_events"]);
  const activeFile = reconcileActiveModelFile(conn, modelsDir, options.logger ?? silentLogger);
  const state = readActiveState(conn);
  const roles = currentRoles(conn);
  const view = (h: { version: string; sinceMs: number } | null): RoleHolderView | null => (h ? { version: h.version, sinceIso: isoUtc(h.sinceMs) } : null);
  const lastEvaluations = listAbRuns(conn, { limit: options.last ?? 10 });
  const swapRun = state?.swapRunId == null ? null : getAbRun(conn, state.swapRunId);
  const active = activeModelView(state);
  const ev = options.policy ? evaluateArms(conn, options.policy, { nowMs: options.nowMs ?? Date.now() }) : null;
  const look = ev?.decision?.look ?? null;
  const now =
    ev?.decision && ev.champion && ev.challenger
      ? {
          armA: { version: ev.champion, trades: ev.a.trades, sharpe: ev.a.sharpe, psr: ev.a.psr },
          armB: { version: ev.challenger, trades: ev.b.trades, sharpe: ev.b.sharpe, psr: ev.b.psr },
          z: ev.decision.z,
          boundary: look && Number.isFinite(look.boundary) ? look.boundary : null,
          look: look?.look ?? null,
          informationFraction: look?.informationFraction ?? null,
          expiresIso: ev.expiresAtMs === null ? null : isoUtc(ev.expiresAtMs),
          wouldPromote: ev.decision.swapRecommended,
        }
      : null;
  return {
    active,
    activeArm: active.arm,
    champion: view(roles.champion),
    challenger: roles.challenger ? { ...view(roles.challenger)!, alphaK: roles.challenger.alpha } : null,
    candidates: roles.candidates.map((c) => view(c)!),
    previousChampion: view(roles.previousChampion),
    v1Backtest: view(roles.v1Backtest),
    pinned: roles.pinned,
    barred: roles.barred,
    swapRun,
    activeFile,
    lastEvaluations,
    now,
    lastShadow: listShadowRuns(conn, 1)[0] ?? null,
  };
}

/** Human-readable status lines for the CLI. */
export function formatStatus(status: StatusSummary): string {
  const holder = (h: RoleHolderView | null) => (h ? `${h.version} since ${h.sinceIso}` : "none");
  const lines = [
    `champion:   ${holder(status.champion)}${status.pinned ? " (PINNED)" : ""} — active_model.json arm ${status.activeArm}`,
    `challenger: ${holder(status.challenger)}${status.challenger?.alphaK != null ? ` (α_k ${status.challenger.alphaK})` : ""}`,
    `candidates: ${status.candidates.length ? status.candidates.map((c) => c.version).join(", ") : "none waiting"}`,
    `previous champion (rollback target): ${holder(status.previousChampion)}`,
    `v1_backtest baseline: ${holder(status.v1Backtest)}`,
  ];
  const n = status.now;
  if (n) {
    const arm = (x: NonNullable<StatusSummary["now"]>["armA"]) => `${x.version}: ${x.trades} trades, Sharpe ${x.sharpe?.toFixed(3) ?? "—"}, PSR ${x.psr?.toFixed(3) ?? "—"}`;
    lines.push(
      `if the A/B looked now: A ${arm(n.armA)}; B ${arm(n.armB)}; ` +
        (n.look === null ? "not ready (no look before both arms have enough trades)" : `look ${n.look} at information ${(n.informationFraction ?? 0).toFixed(2)}: z ${n.z?.toFixed(3) ?? "—"} vs boundary ${n.boundary?.toFixed(3) ?? "∞"}`) +
        `; ${n.wouldPromote ? "would promote" : "would not promote"}; expires ${n.expiresIso ?? "—"}`,
    );
  }
  if (status.barred.length) lines.push(`rolled back (need a new A/B win): ${status.barred.join(", ")}`);
  if (status.activeFile === "rewritten") lines.push("active_model.json was out of date and has been rewritten from the database");
  const sh = status.lastShadow;
  if (sh)
    lines.push(
      `last shadow evaluation #${sh.id} ${sh.tsIso}: ${sh.versionA} vs ${sh.versionB} → ${sh.status}` +
        (sh.status === "ok"
          ? ` on ${sh.bars} bars: Sharpe A ${sh.sharpeA?.toFixed(4) ?? "—"}, B ${sh.sharpeB?.toFixed(4) ?? "—"} per bar, HAC z ${sh.hacZ?.toFixed(2) ?? "—"}, p(B worse) ${sh.pWorse?.toFixed(3) ?? "—"}`
          : `: ${sh.reason ?? ""}`),
    );
  lines.push(`last ${status.lastEvaluations.length} runs:`);
  for (const r of status.lastEvaluations) {
    const look = r.look ? ` look ${r.look.index}, z ${r.look.z?.toFixed(3) ?? "—"} vs ${r.look.boundary?.toFixed(3) ?? "∞"}` : "";
    lines.push(`  #${r.id} ${r.tsIso} ${r.action}${r.dryRun ? " (dry run)" : ""} → ${r.outcome ?? (r.swapExecuted ? "swapped" : "—")}${look}`);
    for (const c of r.conditions.filter((x) => !x.passed)) lines.push(`      ✗ ${c.text}`);
  }
  return lines.join("\n");
}
