// Prometheus metrics on a private registry. Everything is refreshed at scrape time:
// job counts from Redis, gate/arm/calibration state from the DB, Redis connection state.
//
// Job durations: rather than a QueueEvents subscription (one more blocking Redis
// connection, and events missed while the dashboard is down), each scrape reads the 100
// most recently finished jobs per queue and observes those not seen before (keyed by job
// id + finishedOn, so a retried job counts again). More than 100 jobs finishing between two
// scrapes would be undercounted; mlq runs a handful of jobs a day.
import { Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Queue } from "bullmq";
import { errorMessage, type Logger } from "@mlq/core";
import type { StatusReport } from "./status-data.js";

export const JOB_STATES = ["waiting", "active", "delayed", "prioritized", "waiting-children", "completed", "failed"] as const;

export interface FinishedJob {
  id: string | undefined;
  processedOn: number | undefined;
  finishedOn: number | undefined;
  failed: boolean;
}

export interface MetricsDeps {
  queues: readonly Queue[];
  /** ioredis-like: `status === "ready"` means connected. */
  redisStatus: () => string;
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
  const seen = new Set<string>();

  async function refreshQueues(): Promise<void> {
    jobs.reset();
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
  }

  return {
    registry,
    contentType: registry.contentType,
    async scrape() {
      redisUp.set(deps.redisStatus() === "ready" ? 1 : 0);
      refreshStatus();
      if (deps.redisStatus() === "ready") await refreshQueues();
      else jobs.reset();
      return registry.metrics();
    },
  };
}
