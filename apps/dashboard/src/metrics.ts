// Prometheus metrics on a private registry. Everything is refreshed at scrape time:
// job counts from Redis, gate/arm/calibration state and the promotion loop from the DB, Redis
// connection state.
//
// Job durations: rather than a QueueEvents subscription (one more blocking Redis
// connection, and events missed while the dashboard is down), each scrape reads the 100
// most recently finished jobs per queue and observes those not seen before (keyed by job
// id + finishedOn, so a retried job counts again). More than 100 jobs finishing between two
// scrapes would be undercounted; mlq runs a handful of jobs a day.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { errorMessage, type Logger } from "@mlq/core";
import { childrenByState, liveWorkers } from "@mlq/jobs";
import type { DriftView, PromotionView, StatusReport } from "./status-data.js";

export const JOB_STATES = ["waiting", "active", "delayed", "prioritized", "waiting-children", "completed", "failed"] as const;

export interface FinishedJob {
  id: string | undefined;
  processedOn: number | undefined;
  finishedOn: number | undefined;
  failed: boolean;
}

/** The states `mlq_search_children` reports (BullMQ's names; `failed` = failed for good). */
export const CHILD_STATES = ["waiting", "active", "delayed", "completed", "failed"] as const;

export interface MetricsDeps {
  queues: readonly Queue[];
  /** The key prefix of the queues (to read a retrain's children on the train queue). */
  prefix?: string;
  /** ioredis-like: `status === "ready"` means connected. */
  redisStatus: () => string;
  /** Commands connection, to read the workers' heartbeats where CLIENT LIST is refused. */
  redis?: Redis;
  /** A status report without paper trades (cheap). */
  readStatus: () => StatusReport;
  logger: Logger;
  redisTimeoutMs?: number;
  defaultMetrics?: boolean;
}

export interface DashboardMetrics {
  registry: Registry;
  contentType: string;
  scrape(): Promise<string>;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Durations (s) of jobs not in `seen`, which it updates; bounded so it cannot grow forever. */
export function newDurations(jobs: readonly FinishedJob[], seen: Set<string>, max = 10_000): { seconds: number; failed: boolean }[] {
  const out: { seconds: number; failed: boolean }[] = [];
  for (const j of jobs) {
    if (j.id === undefined || j.processedOn === undefined || j.finishedOn === undefined) continue;
    const key = `${j.id}@${j.finishedOn}`;
    if (seen.has(key)) continue;
    if (seen.size >= max) seen.delete(seen.values().next().value!);
    seen.add(key);
    out.push({ seconds: Math.max(0, (j.finishedOn - j.processedOn) / 1000), failed: j.failed });
  }
  return out;
}

export function createMetrics(deps: MetricsDeps): DashboardMetrics {
  const registry = new Registry();
  if (deps.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: "mlq_dashboard_" });
  const timeout = deps.redisTimeoutMs ?? 3000;
  const jobs = new Gauge({ name: "mlq_queue_jobs", help: "Jobs per queue and state", labelNames: ["queue", "state"] as const, registers: [registry] });
  // Issue 18: the retrain's search as a flow. queue="train" of mlq_queue_jobs counts every child by
  // state; these say who trains them and how far each waiting retrain is.
  const workers = new Gauge({
    name: "mlq_queue_workers",
    help: "Workers attached to each queue (BullMQ's CLIENT LIST, else the workers' heartbeats); queue=train: worker-train processes on all hosts",
    labelNames: ["queue"] as const,
    registers: [registry],
  });
  const searchChildren = new Gauge({
    name: "mlq_search_children",
    help: "Children on the train queue of each retrain job that has any (its search candidates), by state",
    labelNames: ["job", "state"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "mlq_job_duration_seconds",
    help: "Processing time of finished jobs (finishedOn - processedOn)",
    labelNames: ["queue", "status"] as const,
    buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200],
    registers: [registry],
  });
  const gatePassed = new Gauge({ name: "mlq_gate_passed", help: "Last result of each gate (1 passed, 0 failed)", labelNames: ["gate"] as const, registers: [registry] });
  const gateValue = new Gauge({ name: "mlq_gate_value", help: "Last measured value of each gate", labelNames: ["gate"] as const, registers: [registry] });
  const gateThreshold = new Gauge({ name: "mlq_gate_threshold", help: "Threshold of each gate's last evaluation", labelNames: ["gate"] as const, registers: [registry] });
  const activeArm = new Gauge({ name: "mlq_active_arm", help: "1 for the arm the bot trades", labelNames: ["arm"] as const, registers: [registry] });
  const calMultiplier = new Gauge({ name: "mlq_calibration_position_size_multiplier", help: "Position size multiplier of the latest calibration", registers: [registry] });
  const calSlippage = new Gauge({ name: "mlq_calibration_ema_slippage_per_side_pct", help: "EMA slippage per side (%) of the latest calibration", registers: [registry] });
  const redisUp = new Gauge({ name: "mlq_redis_up", help: "1 when the dashboard's Redis connection is ready", registers: [registry] });
  const dbProblems = new Gauge({ name: "mlq_status_problems", help: "Problems found reading the database and active_model.json", registers: [registry] });
  // The promotion loop. Role events are counted in the database; the counter follows that total
  // (a restarted dashboard starts at it again, so Prometheus sees no reset and no jump).
  const roleEvents = new Counter({
    name: "mlq_role_events_total",
    help: "Role history events by event name (register, take_slot, promote, rollback, …); event=rollback counts rollbacks",
    labelNames: ["event"] as const,
    registers: [registry],
  });
  const roleInfo = new Gauge({ name: "mlq_model_role_info", help: "1 for each version holding a role (champion, challenger, candidate, previous_champion, v1_backtest)", labelNames: ["role", "version"] as const, registers: [registry] });
  // Labelled by the versions compared, so a scrape without an evaluation exports no series
  // (an unlabelled gauge would read 0, and z = 0 means something).
  const evaluationLabels = ["champion", "challenger"] as const;
  const gauge = (name: string, help: string, labelNames: readonly string[] = evaluationLabels) => new Gauge({ name, help, labelNames, registers: [registry] });
  const pinned = gauge("mlq_champion_pinned", "1 when an operator pinned the champion (no promotion, no automatic rollback)", ["version"]);
  const evalZ = gauge("mlq_ab_look_z", "z of the current evaluation's latest recorded look");
  const evalBoundary = gauge("mlq_ab_look_boundary_z", "α-spending boundary of the current evaluation's latest recorded look (absent when ∞)");
  const evalInfo = gauge("mlq_ab_look_information_fraction", "Information fraction of the current evaluation's latest recorded look");
  const evalLooks = gauge("mlq_ab_looks", "Looks the current evaluation has taken");
  const evalAlpha = gauge("mlq_ab_alpha_k", "α_k granted to the current challenger");
  const evalExpires = gauge("mlq_ab_challenger_expires_timestamp_seconds", "When the current challenger's evaluation expires (Unix seconds)");
  // The newest paired shadow evaluation of the current pair (issue 16): labelled by the pair it compared.
  const shadowPair = ["version_a", "version_b"] as const;
  const shadowBars = gauge("mlq_shadow_bars", "Paired bars of the newest shadow evaluation", shadowPair);
  const shadowHacZ = gauge("mlq_shadow_hac_z", "HAC-studentized paired Sharpe z (challenger − champion) of the newest shadow evaluation", shadowPair);
  const shadowPWorse = gauge("mlq_shadow_p_worse", "Block-bootstrap one-sided p that the challenger is no worse (small: worse) of the newest shadow evaluation", shadowPair);
  const shadowOk = gauge("mlq_shadow_ok", "1 when the newest shadow evaluation gave a p-value, 0 when it had too few bars or failed", shadowPair);
  const counted = new Map<string, number>();
  const seen = new Set<string>();
  // Feature drift: the latest check of the hourly monitor (absent before the first).
  const driftLabels = ["role", "version", "symbol", "feature"] as const;
  const driftPsi = gauge("mlq_feature_drift_psi", "PSI of each feature (p_direction: the direction model's probabilities) over the latest drift check's window", driftLabels);
  const driftThreshold = gauge("mlq_feature_drift_threshold", "Calibrated PSI threshold of each feature (absent without a baseline)", driftLabels);
  const driftOver = gauge("mlq_feature_drift_features_over", "Features of a symbol strictly over their thresholds in the latest drift check", ["role", "version", "symbol"]);
  const driftTriggered = gauge("mlq_feature_drift_triggered", "1 when the champion's drift rule fired in the latest check", ["version"]);
  const driftCheckTs = gauge("mlq_feature_drift_check_timestamp_seconds", "When the latest drift check ran (Unix seconds)", []);

  function refreshDrift(d: DriftView | null): void {
    for (const g of [driftPsi, driftThreshold, driftOver, driftTriggered, driftCheckTs]) g.reset();
    if (!d) return;
    driftCheckTs.set(d.check.tsMs / 1000);
    if (d.check.champion) driftTriggered.set({ version: d.check.champion }, d.check.triggered ? 1 : 0);
    const over = new Map<string, { role: string; version: string; symbol: string; n: number }>();
    for (const r of d.rows) {
      const labels = { role: r.role, version: r.version, symbol: r.symbol, feature: r.feature };
      driftPsi.set(labels, r.psi);
      if (r.threshold !== null) driftThreshold.set(labels, r.threshold);
      const key = `${r.role} ${r.symbol}`;
      const o = over.get(key) ?? { role: r.role, version: r.version, symbol: r.symbol, n: 0 };
      if (r.over) o.n++;
      over.set(key, o);
    }
    for (const o of over.values()) driftOver.set({ role: o.role, version: o.version, symbol: o.symbol }, o.n);
  }

  function refreshPromotion(p: PromotionView | null): void {
    roleInfo.reset();
    pinned.reset();
    for (const g of [evalZ, evalBoundary, evalInfo, evalLooks, evalAlpha, evalExpires, shadowBars, shadowHacZ, shadowPWorse, shadowOk]) g.reset();
    // Unreadable history: keep the counters where they were (a counter never goes down).
    if (!p) return;
    const totals = Object.entries(p.eventCounts);
    if (totals.some(([event, n]) => n < (counted.get(event) ?? 0))) {
      // The database was replaced by one with fewer events: start the counter afresh.
      roleEvents.reset();
      counted.clear();
    }
    for (const [event, n] of totals) {
      roleEvents.inc({ event }, n - (counted.get(event) ?? 0));
      counted.set(event, n);
    }
    const holders: [string, { version: string } | null][] = [
      ["champion", p.champion],
      ["challenger", p.challenger],
      ["previous_champion", p.previousChampion],
      ["v1_backtest", p.v1Backtest],
      ...p.candidates.map((c): [string, { version: string }] => ["candidate", c]),
    ];
    for (const [role, h] of holders) if (h) roleInfo.set({ role, version: h.version }, 1);
    if (p.champion) pinned.set({ version: p.champion.version }, p.champion.pinned ? 1 : 0);
    const sh = p.shadow;
    if (sh) {
      const pair = { version_a: sh.versionA, version_b: sh.versionB };
      shadowOk.set(pair, sh.status === "ok" ? 1 : 0);
      if (sh.bars !== null) shadowBars.set(pair, sh.bars);
      if (sh.hacZ !== null) shadowHacZ.set(pair, sh.hacZ);
      if (sh.pWorse !== null) shadowPWorse.set(pair, sh.pWorse);
    }
    const e = p.evaluation;
    if (!e || !p.champion || !p.challenger) return;
    const labels = { champion: p.champion.version, challenger: p.challenger.version };
    evalLooks.set(labels, e.looks);
    if (e.alphaK !== null) evalAlpha.set(labels, e.alphaK);
    evalExpires.set(labels, Date.parse(e.expiresIso) / 1000);
    const last = e.lastLook;
    if (last?.z != null) evalZ.set(labels, last.z);
    if (last?.boundary != null) evalBoundary.set(labels, last.boundary);
    if (last?.informationFraction != null) evalInfo.set(labels, last.informationFraction);
  }

  async function refreshFlows(): Promise<void> {
    searchChildren.reset();
    const retrain = deps.queues.find((q) => q.name === "retrain");
    const train = deps.queues.find((q) => q.name === "train");
    if (!retrain || !train) return;
    try {
      // At most one retrain is queued or running; a few more states cost nothing.
      const parents = await withTimeout(retrain.getJobs(["waiting-children", "active"], 0, 9), timeout, "retrain jobs with children");
      for (const job of parents.filter(Boolean)) {
        const c = await withTimeout(childrenByState(job, train, deps.prefix ?? "bull"), timeout, `children of retrain job ${job.id}`);
        if (c.total === 0) continue;
        for (const state of CHILD_STATES) searchChildren.set({ job: job.id ?? "", state }, c[state]);
      }
    } catch (err) {
      deps.logger.warn("metrics: search children scrape failed", { error: errorMessage(err) });
    }
  }

  async function refreshQueues(): Promise<void> {
    jobs.reset();
    workers.reset();
    await Promise.all(
      deps.queues.map(async (q) => {
        try {
          workers.set({ queue: q.name }, await withTimeout(q.getWorkersCount(), timeout, `workers of ${q.name}`));
        } catch (err) {
          // CLIENT LIST may be refused (a managed Redis): count the workers' heartbeats instead; no series rather than a wrong 0.
          try {
            if (!deps.redis) throw err;
            const live = await withTimeout(liveWorkers(deps.redis, deps.prefix ?? "bull", q.name), timeout, `worker registry of ${q.name}`);
            workers.set({ queue: q.name }, live.length);
          } catch {
            deps.logger.debug("metrics: cannot count a queue's workers", { queue: q.name, error: errorMessage(err) });
          }
        }
      }),
    );
    await Promise.all(
      deps.queues.map(async (q) => {
        try {
          const counts = await withTimeout(q.getJobCounts(...JOB_STATES), timeout, `job counts of ${q.name}`);
          for (const state of JOB_STATES) jobs.set({ queue: q.name, state }, counts[state] ?? 0);
          for (const status of ["completed", "failed"] as const) {
            const finished = await withTimeout(q.getJobs([status], 0, 99), timeout, `${status} jobs of ${q.name}`);
            const list = finished.filter(Boolean).map((j) => ({ id: j.id, processedOn: j.processedOn, finishedOn: j.finishedOn, failed: status === "failed" }));
            for (const d of newDurations(list, seen)) duration.observe({ queue: q.name, status }, d.seconds);
          }
        } catch (err) {
          deps.logger.warn("metrics: queue scrape failed", { queue: q.name, error: errorMessage(err) });
        }
      }),
    );
  }

  function refreshStatus(): void {
    gatePassed.reset();
    gateValue.reset();
    gateThreshold.reset();
    activeArm.reset();
    calMultiplier.reset();
    calSlippage.reset();
    const report = deps.readStatus();
    dbProblems.set(report.problems.length);
    for (const [gate, points] of Object.entries(report.gateHistory)) {
      const last = points.at(-1);
      if (!last) continue;
      gatePassed.set({ gate }, last.passed ? 1 : 0);
      if (last.value !== null) gateValue.set({ gate }, last.value);
      if (last.threshold !== null) gateThreshold.set({ gate }, last.threshold);
    }
    if (report.active) activeArm.set({ arm: report.active.arm }, 1);
    const cal = report.calibration;
    if (cal?.positionSizeMultiplier != null) calMultiplier.set(cal.positionSizeMultiplier);
    if (cal?.emaSlippagePerSidePct != null) calSlippage.set(cal.emaSlippagePerSidePct);
    refreshPromotion(report.promotion);
    refreshDrift(report.drift);
  }

  return {
    registry,
    contentType: registry.contentType,
    async scrape() {
      redisUp.set(deps.redisStatus() === "ready" ? 1 : 0);
      refreshStatus();
      if (deps.redisStatus() === "ready") await Promise.all([refreshQueues(), refreshFlows()]);
      else {
        jobs.reset();
        workers.reset();
        searchChildren.reset();
      }
      return registry.metrics();
    },
  };
}
