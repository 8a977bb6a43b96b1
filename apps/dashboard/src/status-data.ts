// Gathers everything the status page, /api/status and /metrics show from the SQLite database and
// `<modelsDir>/active_model.json`. Never throws for bad data: each problem becomes a line in
// `problems` and the rest of the report still renders.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DAY_MS, errorMessage, isoUtc } from "@mlq/core";
import {
  activeModelView,
  DEFAULT_AB_POLICY,
  equityCurves,
  evaluateArms,
  getAbRun,
  listAbRuns,
  priorLooks,
  type AbPolicy,
  type AbRunRecord,
  type ActiveModelView,
  type ArmMetrics,
  type AttributionMethod,
  listShadowRuns,
  type ShadowRunRecord,
} from "@mlq/ab";
import { latestCalibrationRun, type CalibrationRunRecord } from "@mlq/calibration";
import { openDatabase, tableExists, type Connection } from "@mlq/db";
import {
  gateHistory,
  latestDriftCheck,
  listRetrainRuns,
  type DriftCheckRow,
  type FeatureDriftRow,
  type GateLogEntry,
  type GatePoint,
  type GateSymbolEntry,
  type RetrainRunRecord,
} from "@mlq/ml";
import { evaluationStartMs, readActiveState, readRoleEvents, replayRoles, ROLE_EVENTS, type ArmLabel, type RoleEventName } from "@mlq/registry";

export type { GatePoint };

/** A logged gate of a retrain run (regime_diversity with its symbols), and a run with its gates, as @mlq/ml's readers return them. */
export type GateResultView = GateLogEntry;
export type GateSymbolView = GateSymbolEntry;
export type RetrainRunView = RetrainRunRecord;

/** The live arm (the `ab_active_model` row) and the A/B run that made it live. */
export interface ActiveArmView extends ActiveModelView {
  previousArm: ArmLabel | null;
  /** The run named by `swap_run_id`; null when there is none. */
  swapRun: AbRunRecord | null;
}

export type ActiveModelFileView =
  | { path: string; state: "ok"; content: unknown }
  | { path: string; state: "missing" }
  | { path: string; state: "unreadable"; error: string };

/** Each arm's equity curve, attributed exactly as the A/B decision attributes the trades (@mlq/ab). */
export interface EquityView {
  /** "none" when paper_trades was not read (tradeLimit 0, a problem that is listed, or no evaluation in progress). */
  method: AttributionMethod | "none";
  champion: string | null;
  challenger: string | null;
  tradesA: number;
  tradesB: number;
  /** [trade number within the arm, cumulative pnl_pct] for the arm's most recent trades. */
  armA: [number, number][];
  armB: [number, number][];
}

/** A version holding a role, and since when. */
export interface RoleHolderView {
  version: string;
  sinceIso: string;
}

/** An arm's standing in the current evaluation (read live from paper_trades; null when trades were not read). */
export interface ArmStandingView {
  trades: number;
  sharpe: number | null;
  psr: number | null;
  expectancy: number | null;
}

/** One look of the sequential test: where z stood against the α-spending boundary. */
export interface LookView {
  look: number;
  informationFraction: number | null;
  /** null = ∞ (this look may not promote). */
  boundary: number | null;
  z: number | null;
}

/** The challenger's evaluation in progress. */
export interface EvaluationView {
  startIso: string;
  expiresIso: string;
  expired: boolean;
  alphaK: number | null;
  /** Trades per arm expected by expiry, fixed at the first look (null before it). */
  nMaxPerArm: number | null;
  /** Looks the A/B runs have taken in this evaluation. */
  looks: number;
  /** The newest recorded look, with the run that took it (null before the first look). */
  lastLook: (LookView & { runId: number; tsIso: string }) | null;
  /** Where the arms stand now (what the next A/B run would see); null when trades were not read. */
  now: (LookView & { ready: boolean; method: AttributionMethod | null }) | null;
}

/** A row of the role history (`model_role_events`). */
export interface RoleEventView {
  id: number;
  tsIso: string;
  event: RoleEventName;
  version: string;
  role: string;
  previousVersion: string | null;
  trigger: string | null;
  runId: number | null;
  alpha: number | null;
  reason: string | null;
}

/** The promotion loop (SPEC §6): who holds which role, the evaluation in progress, the history and the last decision. */
export interface PromotionView {
  champion: (RoleHolderView & { pinned: boolean; standing: ArmStandingView | null }) | null;
  /** expiresIso is null only while there is no champion to evaluate against. */
  challenger: (RoleHolderView & { alphaK: number | null; expiresIso: string | null; standing: ArmStandingView | null }) | null;
  /** Waiting for the evaluation slot, oldest first. */
  candidates: (RoleHolderView & { trigger: string | null })[];
  previousChampion: RoleHolderView | null;
  v1Backtest: RoleHolderView | null;
  /** Rolled back: champion again only after winning a new A/B. */
  barred: string[];
  evaluation: EvaluationView | null;
  /** The newest role events first (at most `roleEventLimit`). */
  events: RoleEventView[];
  /** Every role event ever recorded, by event name (each name present, 0 when none). */
  eventCounts: Record<RoleEventName, number>;
  /** The newest A/B run (not a dry run, when there is one) that recorded a decision table: why the swap did or did not happen. */
  lastDecision: AbRunRecord | null;
  /** The newest paired shadow evaluation of the current champion and challenger (else the newest of any pair). */
  shadow: ShadowRunRecord | null;
}

export interface StatusReport {
  generatedAt: string;
  dbPath: string;
  problems: string[];
  active: ActiveArmView | null;
  activeModelFile: ActiveModelFileView;
  retrainRuns: RetrainRunView[];
  gateHistory: Record<string, GatePoint[]>;
  abRuns: AbRunRecord[];
  calibration: CalibrationRunRecord | null;
  equity: EquityView;
  /** null when the role history could not be read (the problem is listed). */
  promotion: PromotionView | null;
  /** The latest drift check of the monitor and its PSIs; null before the first. */
  drift: DriftView | null;
}

export interface DriftView {
  check: DriftCheckRow;
  rows: FeatureDriftRow[];
}

export interface StatusOptions {
  dbPath: string;
  modelsDir: string;
  now?: () => number;
  retrainLimit?: number;
  abLimit?: number;
  gateHistoryLimit?: number;
  /** Each arm's equity curve keeps its most recent this many trades (the split uses all); 0 skips paper_trades. */
  tradeLimit?: number;
  /** The A/B policy the equity curves attribute trades under (the expiry bounds the window). */
  abPolicy?: AbPolicy;
  /** Newest role events shown in the timeline (default 50; the counts cover all). */
  roleEventLimit?: number;
}

export function parseJson(text: unknown): { value: unknown; error: string | null } {
  if (text === null || text === undefined || text === "") return { value: null, error: null };
  try {
    return { value: JSON.parse(String(text)) as unknown, error: null };
  } catch (err) {
    return { value: null, error: errorMessage(err) };
  }
}

export function readActiveModelFile(modelsDir: string): ActiveModelFileView {
  const path = join(modelsDir, "active_model.json");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return { path, state: "missing" };
    return { path, state: "unreadable", error: errorMessage(err) };
  }
  const parsed = parseJson(text);
  if (parsed.error !== null) return { path, state: "unreadable", error: parsed.error };
  if (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value))
    return { path, state: "unreadable", error: "expected a JSON object" };
  return { path, state: "ok", content: parsed.value };
}

function emptyReport(opts: StatusOptions, now: number): StatusReport {
  return {
    generatedAt: new Date(now).toISOString(),
    dbPath: opts.dbPath,
    problems: [],
    active: null,
    activeModelFile: readActiveModelFile(opts.modelsDir),
    retrainRuns: [],
    gateHistory: {},
    abRuns: [],
    calibration: null,
    equity: { method: "none", champion: null, challenger: null, tradesA: 0, tradesB: 0, armA: [], armB: [] },
    promotion: null,
    drift: null,
  };
}

/** Runs one section; a failure is recorded as a problem instead of failing the page. */
function section(report: StatusReport, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    report.problems.push(`${what}: ${errorMessage(err)}`);
  }
}

function missingTables(conn: Connection, tables: readonly string[], report: StatusReport): boolean {
  const missing = tables.filter((t) => !tableExists(conn.sqlite, t));
  for (const t of missing) report.problems.push(`${t} table missing in ${conn.path}`);
  return missing.length > 0;
}

export function readStatus(opts: StatusOptions): StatusReport {
  const now = (opts.now ?? Date.now)();
  const report = emptyReport(opts, now);
  if (report.activeModelFile.state === "unreadable") report.problems.push(`active_model.json is unreadable: ${report.activeModelFile.error}`);
  let conn: Connection;
  try {
    conn = openDatabase(opts.dbPath, { readonly: true });
  } catch (err) {
    report.problems.push(errorMessage(err));
    return report;
  }
  try {
    // One read transaction gives every section the same snapshot and holds no write lock.
    conn.sqlite.transaction(() => fill(conn, report, opts))();
  } catch (err) {
    report.problems.push(`reading ${conn.path}: ${errorMessage(err)}`);
  } finally {
    conn.close();
  }
  return report;
}

function fill(conn: Connection, report: StatusReport, opts: StatusOptions): void {
  const retrainLimit = opts.retrainLimit ?? 10;
  const abLimit = opts.abLimit ?? 6;
  const gateHistoryLimit = opts.gateHistoryLimit ?? 60;
  const tradeLimit = opts.tradeLimit ?? 20_000;

  section(report, "active model", () => {
    if (missingTables(conn, ["ab_active_model", "ab_test_runs"], report)) return;
    const state = readActiveState(conn);
    if (state === null) return;
    report.active = { ...activeModelView(state), previousArm: state.previousArm, swapRun: state.swapRunId === null ? null : getAbRun(conn, state.swapRunId) };
  });

  section(report, "retrain runs", () => {
    if (missingTables(conn, ["phase2_retrain_runs", "phase2_gate_log"], report)) return;
    report.retrainRuns = listRetrainRuns(conn, { limit: retrainLimit });
    // Gate history: the most recent entries per gate, oldest first for charting.
    report.gateHistory = gateHistory(conn, { limit: gateHistoryLimit });
  });

  section(report, "A/B evaluations", () => {
    if (missingTables(conn, ["ab_test_runs"], report)) return;
    report.abRuns = listAbRuns(conn, { limit: abLimit });
  });

  section(report, "calibration", () => {
    if (missingTables(conn, ["calibration_runs"], report)) return;
    const run = latestCalibrationRun(conn, { includeFailed: true });
    if (run?.payloadError != null) report.problems.push(`calibration run ${run.id} payload is not valid JSON: ${run.payloadError}`);
    report.calibration = run;
  });

  section(report, "promotion loop", () => {
    if (missingTables(conn, ["model_role_events"], report)) return;
    report.promotion = promotionView(conn, opts);
  });

  section(report, "feature drift", () => {
    if (missingTables(conn, ["drift_checks", "feature_drift"], report)) return;
    report.drift = latestDriftCheck(conn);
  });

  if (tradeLimit === 0) return;
  section(report, "paper trades", () => {
    if (missingTables(conn, ["paper_trades"], report)) return;
    if (!tableExists(conn.sqlite, "model_role_events")) return;
    // One evaluation, exactly as the A/B run makes it, feeds the equity chart and the standings.
    const ev = evaluateArms(conn, policyOf(opts), { nowMs: nowOf(opts) });
    const eq = equityCurves(ev.attribution, { champion: ev.champion, challenger: ev.challenger });
    report.equity = {
      method: eq.method ?? "none",
      champion: eq.champion,
      challenger: eq.challenger,
      tradesA: eq.a.length,
      tradesB: eq.b.length,
      armA: lastPoints(eq.a, tradeLimit),
      armB: lastPoints(eq.b, tradeLimit),
    };
    const p = report.promotion;
    if (!p || !ev.decision || p.champion?.version !== ev.champion || p.challenger?.version !== ev.challenger) return;
    p.champion.standing = standing(ev.a);
    p.challenger.standing = standing(ev.b);
    if (p.evaluation) {
      const look = ev.decision.look;
      p.evaluation.nMaxPerArm ??= ev.nMaxPerArm;
      p.evaluation.now = {
        ready: ev.decision.ready,
        method: ev.attribution?.method ?? null,
        look: look?.look ?? ev.previousLooks + 1,
        informationFraction: look?.informationFraction ?? null,
        boundary: look && Number.isFinite(look.boundary) ? look.boundary : null,
        z: ev.decision.z,
      };
    }
  });
}

const policyOf = (opts: StatusOptions): AbPolicy => opts.abPolicy ?? DEFAULT_AB_POLICY;
const nowOf = (opts: StatusOptions): number => (opts.now ?? Date.now)();

function standing(m: ArmMetrics): ArmStandingView {
  return { trades: m.trades, sharpe: m.sharpe, psr: m.psr, expectancy: m.expectancy };
}

/** Roles, evaluation, history and last decision from the role history and ab_test_runs (no paper_trades read). */
function promotionView(conn: Connection, opts: StatusOptions): PromotionView {
  const stored = readRoleEvents(conn);
  const roles = replayRoles(stored);
  const holder = (h: { version: string; sinceMs: number } | null): RoleHolderView | null => (h ? { version: h.version, sinceIso: isoUtc(h.sinceMs) } : null);
  const eventCounts = Object.fromEntries(ROLE_EVENTS.map((e) => [e, 0])) as Record<RoleEventName, number>;
  for (const e of stored) eventCounts[e.event]++;
  const limit = Math.max(0, Math.floor(opts.roleEventLimit ?? 50));
  const events = (limit === 0 ? [] : stored.slice(-limit))
    .reverse()
    .map(
      (e): RoleEventView => ({
        id: e.id,
        tsIso: e.tsIso,
        event: e.event,
        version: e.version,
        role: e.role,
        previousVersion: e.previousVersion ?? null,
        trigger: e.trigger ?? null,
        runId: e.runId ?? null,
        alpha: e.alpha ?? null,
        reason: e.reason ?? null,
      }),
    );

  const hasRuns = tableExists(conn.sqlite, "ab_test_runs");
  const recentRuns = hasRuns ? listAbRuns(conn, { limit: 50 }) : [];
  let evaluation: EvaluationView | null = null;
  const startMs = evaluationStartMs(roles);
  if (roles.champion && roles.challenger && startMs !== null) {
    const champion = roles.champion.version;
    const challenger = roles.challenger.version;
    const looks = hasRuns ? priorLooks(conn, { champion, challenger, startMs }) : [];
    // The run of the newest look: same versions, on or after this evaluation's start.
    const last = recentRuns.find((r) => r.look && r.success && !r.dryRun && r.armAVersion === champion && r.armBVersion === challenger && r.tsMs >= startMs);
    const expiresMs = startMs + policyOf(opts).challengerMaxDays * DAY_MS;
    evaluation = {
      startIso: isoUtc(startMs),
      expiresIso: isoUtc(expiresMs),
      expired: nowOf(opts) >= expiresMs,
      alphaK: roles.challenger.alpha ?? policyOf(opts).alpha,
      nMaxPerArm: looks[0]?.nMaxPerArm ?? null,
      looks: looks.length,
      lastLook:
        last?.look != null
          ? { runId: last.id, tsIso: last.tsIso, look: last.look.index, informationFraction: last.look.informationFraction, boundary: last.look.boundary, z: last.look.z }
          : null,
      now: null,
    };
  }
  return {
    champion: roles.champion ? { ...holder(roles.champion)!, pinned: roles.pinned, standing: null } : null,
    challenger: roles.challenger
      ? { ...holder(roles.challenger)!, alphaK: roles.challenger.alpha, expiresIso: evaluation?.expiresIso ?? null, standing: null }
      : null,
    candidates: roles.candidates.map((c) => ({ ...holder(c)!, trigger: c.trigger })),
    previousChampion: holder(roles.previousChampion),
    v1Backtest: holder(roles.v1Backtest),
    barred: [...roles.barred],
    evaluation,
    events,
    eventCounts,
    // A dry run changes nothing: the last real decision explains the roles as they are.
    lastDecision: recentRuns.find((r) => r.conditions.length > 0 && !r.dryRun) ?? recentRuns.find((r) => r.conditions.length > 0) ?? null,
    shadow: latestShadow(conn, roles.champion?.version ?? null, roles.challenger?.version ?? null),
  };
}

function latestShadow(conn: Connection, champion: string | null, challenger: string | null): ShadowRunRecord | null {
  const runs = listShadowRuns(conn, 20);
  return runs.find((r) => r.versionA === champion && r.versionB === challenger) ?? runs[0] ?? null;
}

/** The last `n` values of a curve as [1-based index, value] points. */
function lastPoints(curve: readonly number[], n: number): [number, number][] {
  const from = Math.max(0, curve.length - n);
  return curve.slice(from).map((v, i) => [from + i + 1, v]);
}
