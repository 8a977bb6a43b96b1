// Every setting mlq reads, from environment variables with defaults, validated at once.
// Only main.ts files call loadConfig; everything else receives the typed object.
import { z } from "zod";

const num = (def: number, check: (s: z.ZodNumber) => z.ZodNumber = (s) => s) =>
  check(z.coerce.number({ error: "expected a number" })).default(def);
const int = (def: number, min = 0) => z.coerce.number({ error: "expected an integer" }).int("expected an integer").min(min).default(def);
const pct = (def: number) => num(def, (s) => s.min(0, "expected 0..100").max(100, "expected 0..100"));
const bool = (def: boolean) =>
  z
    .enum(["1", "0", "true", "false", "yes", "no"], { error: "expected true/false" })
    .transform((v) => v === "1" || v === "true" || v === "yes")
    .default(def);
const str = (def: string) => z.string().min(1, "must not be empty").default(def);
const cron = (def: string) =>
  z
    .string()
    .regex(/^\s*(\S+\s+){4,5}\S+\s*$/, "expected a cron pattern with 5 or 6 fields")
    .default(def);

/**
 * The most training rows ml-xgboost's WebAssembly trainer is known to handle: 1,000,000 rows ×
 * 11 features trained when the matrices are copied through the wasm heap (SPEC §10). The row
 * cap may not exceed it; a larger one would crash the wasm module instead of failing cleanly.
 */
export const WASM_TRAINER_MAX_ROWS = 1_000_000;
/** The feature count at which WASM_TRAINER_MAX_ROWS was measured. */
export const WASM_TRAINER_MEASURED_FEATURES = 11;

const rowCap = (def: number) =>
  z.coerce
    .number({ error: "expected an integer" })
    .int("expected an integer")
    .min(1, "expected at least 1")
    .max(WASM_TRAINER_MAX_ROWS, `expected at most ${WASM_TRAINER_MAX_ROWS}, the WebAssembly trainer's measured ceiling (1M rows x 11 features through the wasm heap)`)
    .default(def);

// One Host header entry: a DNS name, an IPv4 address or a bracketed IPv6 address, with an optional port.
const HOST_ENTRY = /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::\d{1,5})?$/;
const hostList = () =>
  z
    .string()
    .transform((s) => s.split(",").map((h) => h.trim().toLowerCase()).filter((h) => h.length > 0))
    .refine((hosts) => hosts.every((h) => HOST_ENTRY.test(h)), { error: "expected a comma list of host or host:port entries" })
    .default([]);

/** A comma list of numbers, each passing `ok`; unset = undefined (the search uses the fixed MLQ_XGB_* value). */
const numList = (ok: (v: number) => boolean, what: string) =>
  z
    .string()
    .transform((s, ctx) => {
      const parts = s.split(",").map((p) => p.trim());
      const values = parts.map(Number);
      if (parts.some((p) => p === "") || values.some((v) => !Number.isFinite(v) || !ok(v))) {
        ctx.addIssue({ code: "custom", message: `expected a comma list of ${what}` });
        return z.NEVER;
      }
      return [...new Set(values)];
    })
    .optional();

/**
 * Settings that no longer exist, with what replaced them. Setting one stops start-up: an operator
 * who tightened the old rule must not believe it still applies.
 */
export const RETIRED_ENV_VARS: Readonly<Record<string, string>> = Object.freeze({
  MLQ_AB_MIN_CONFIDENCE:
    "the A/B no longer tests P(Sharpe_B > Sharpe_A) afresh at every look; it uses a sequential boundary that holds the false-promotion rate at MLQ_AB_ALPHA (default 0.05) over all looks of an evaluation, with MLQ_AB_ALPHA_BUDGET across challengers",
});

/** env var name -> [path in config, schema, help] */
const SPEC = {
  REDIS_URL: ["redisUrl", z.url({ error: "expected a redis:// or rediss:// URL" }).default("redis://127.0.0.1:6379"), "Redis URL (password and db index allowed)"],
  MLQ_QUEUE_PREFIX: ["queuePrefix", str("{mlq}"), "BullMQ key prefix; a {hash tag} keeps every queue in one Cluster slot"],
  MLQ_DB_PATH: ["dbPath", str("data/trading.db"), "the trading bot's SQLite database"],
  MLQ_MODELS_DIR: ["modelsDir", str("models"), "model registry directory"],
  MLQ_LOGS_DIR: ["logsDir", str("logs"), "JSON log directory"],
  MLQ_LOG_LEVEL: ["logLevel", z.enum(["error", "warn", "info", "debug"]).default("info"), "log level"],
  MLQ_CALIBRATION_PATH: ["calibrationPath", str("data/execution_calibration.json"), "calibration JSON read by the bot"],

  MLQ_GATE_PAPER_DAYS: ["gates.paperDays", num(14, (s) => s.min(0)), "paper_age threshold (days)"],
  MLQ_GATE_PAPER_DAYS_SMOKE: ["gates.paperDaysSmoke", num(7, (s) => s.min(0)), "paper_age threshold in smoke mode"],
  MLQ_GATE_MIN_TRADES: ["gates.minClosedTrades", int(75), "trade_count threshold"],
  MLQ_GATE_MIN_TRADES_SMOKE: ["gates.minClosedTradesSmoke", int(10), "trade_count threshold in smoke mode"],
  MLQ_GATE_VOL_PCT_LO: ["gates.volPercentileLo", pct(20), "regime_diversity lower percentile"],
  MLQ_GATE_VOL_PCT_HI: ["gates.volPercentileHi", pct(80), "regime_diversity upper percentile"],
  MLQ_GATE_MIN_RETURNS_PER_DAY: ["gates.minReturnsPerDay", int(60, 2), "one-minute returns a day needs to count"],
  MLQ_GATE_REGIME_MIN_HISTORY_DAYS: ["gates.regimeMinHistoryDays", int(7, 1), "days of daily vol a symbol needs before regime_diversity counts it"],
  MLQ_GATE_REGIME_MIN_SYMBOL_SHARE: [
    "gates.regimeMinSymbolShare",
    num(1, (s) => s.gt(0, "expected 0 < share ≤ 1").max(1, "expected 0 < share ≤ 1")),
    "share of counted symbols whose paper vol range must cover their own band",
  ],

  MLQ_HORIZON_BARS: ["retrain.horizonBars", int(15, 2), "label horizon H (bars; forward vol needs 2)"],
  MLQ_TRAIN_FRACTION: ["retrain.trainFraction", num(0.7, (s) => s.gt(0).lt(1)), "walk-forward train fraction"],
  MLQ_EMBARGO_MIN_HOURS: ["retrain.embargoMinHours", num(24, (s) => s.min(0)), "minimum embargo between train and test"],
  MLQ_MAX_TRAINING_ROWS: ["retrain.maxTrainingRows", rowCap(500_000), `row cap (newest first) for the WebAssembly trainer, at most ${WASM_TRAINER_MAX_ROWS}`],
  MLQ_MIN_TEST_ROWS: ["retrain.minTestRows", int(100, 1), "fewer test rows than this is 'insufficient data'"],
  MLQ_MAX_GAP_MINUTES: ["retrain.maxGapMinutes", int(5, 1), "a longer gap between candles restarts feature warm-up"],
  MLQ_MIN_TRAINING_ROWS: ["retrain.minTrainingRows", int(500, 10), "fewer rows than this is 'insufficient data'"],
  MLQ_XGB_ROUNDS: ["retrain.xgb.rounds", int(100, 1), "boosting rounds"],
  MLQ_XGB_MAX_DEPTH: ["retrain.xgb.maxDepth", int(4, 1), "tree depth"],
  MLQ_XGB_ETA: ["retrain.xgb.eta", num(0.1, (s) => s.gt(0).max(1)), "learning rate"],
  MLQ_XGB_SUBSAMPLE: ["retrain.xgb.subsample", num(1, (s) => s.gt(0).max(1)), "row subsample"],
  MLQ_TRAIN_THREADS: ["retrain.threads", int(0), "worker threads for training (0 = one per core, at most 5)"],
  // issue 18: hyperparameter search on an inner split of the outer training part
  MLQ_SEARCH_MODE: ["search.mode", z.enum(["grid", "random"], { error: "expected grid or random" }).default("grid"), "grid: every combination of the MLQ_SEARCH_* lists; random: MLQ_SEARCH_CANDIDATES seeded draws within their [min, max]"],
  MLQ_SEARCH_CANDIDATES: ["search.candidates", int(20, 1), "random: candidates drawn; grid: the most grid points allowed (a larger grid stops start-up)"],
  MLQ_SEARCH_SEED: ["search.seed", int(42), "seed of the random search's draws"],
  MLQ_SEARCH_ROUNDS: ["search.rounds", numList((v) => Number.isInteger(v) && v >= 1, "integers >= 1"), "boosting rounds to try (comma list; unset = MLQ_XGB_ROUNDS)"],
  MLQ_SEARCH_MAX_DEPTH: ["search.maxDepth", numList((v) => Number.isInteger(v) && v >= 1 && v <= 16, "integers 1..16"), "tree depths to try (comma list; unset = MLQ_XGB_MAX_DEPTH)"],
  MLQ_SEARCH_ETA: ["search.eta", numList((v) => v > 0 && v <= 1, "numbers in (0, 1]"), "learning rates to try (comma list; unset = MLQ_XGB_ETA; random draws log-uniformly)"],
  MLQ_SEARCH_MIN_CHILD_WEIGHT: ["search.minChildWeight", numList((v) => v >= 0, "numbers >= 0"), "min_child_weight values to try (comma list; unset = 1, XGBoost's default)"],
  MLQ_SEARCH_SUBSAMPLE: ["search.subsample", numList((v) => v > 0 && v <= 1, "numbers in (0, 1]"), "row subsample values to try (comma list; unset = MLQ_XGB_SUBSAMPLE)"],
  MLQ_SEARCH_INNER_TRAIN_FRACTION: ["search.innerTrainFraction", num(0.7, (s) => s.gt(0, "expected 0 < f < 1").lt(1, "expected 0 < f < 1")), "inner split of the outer training part: this share fits candidates, the rest (after purge and embargo) scores them"],
  MLQ_SEARCH_TRAINER: [
    "search.trainer",
    z.enum(["auto", "flow", "local"], { error: "expected auto, flow or local" }).default("auto"),
    "where the retrain worker trains the candidates: flow = child jobs on the train queue (worker-train hosts), local = its own worker threads, auto = flow when worker-train processes are attached (heartbeats) and all run this build",
  ],
  MLQ_SEARCH_BLOB_TTL_S: ["search.blobTtlSec", int(6 * 3600, 60), "TTL of the candidate data published to Redis for worker-train hosts (deleted earlier when the retrain ends); at least the retrain timeout"],
  MLQ_SEARCH_MIN_DSR: ["search.minDsr", num(0.5, (s) => s.min(0, "expected 0..1").max(1, "expected 0..1")), "a direction winner whose Deflated Sharpe Ratio is below this is saved but not registered (0 = never blocks)"],
  MLQ_CANDLE_THREADS: ["candles.threads", int(0), "worker threads reading ticks for a large candle build (0 = one per core)"],
  MLQ_FEE_PCT_ROUND_TRIP: ["costs.feePctRoundTrip", num(0.12, (s) => s.min(0)), "round-trip fees (%)"],
  MLQ_BASE_SLIPPAGE_PCT: ["costs.baseSlippagePerSidePct", num(0.03, (s) => s.gt(0)), "assumed slippage per side (%)"],
  MLQ_SLIPPAGE_MULT_MIN: ["costs.slippageMultMin", num(1.5, (s) => s.gt(0)), "slippage_mult floor"],
  MLQ_SLIPPAGE_MULT_MAX: ["costs.slippageMultMax", num(2.0, (s) => s.gt(0)), "slippage_mult ceiling (backtest assumption)"],
  MLQ_SLIPPAGE_MULT_MIN_TRADES: ["costs.slippageMultMinTrades", int(200), "calibrated trades needed before slippage_mult moves"],

  MLQ_AB_MIN_TRADES: ["ab.minTradesPerArm", int(100, 2), "closed trades per arm before A/B is ready"],
  MLQ_AB_ALPHA: ["ab.alpha", num(0.05, (s) => s.gt(0, "expected 0 < α < 0.5").lt(0.5, "expected 0 < α < 0.5")), "false-promotion rate of one challenger's evaluation over all its looks (α_k ceiling)"],
  MLQ_AB_ALPHA_BUDGET: ["ab.alphaBudget", num(0.25, (s) => s.gt(0, "expected 0 < budget ≤ 1").max(1, "expected 0 < budget ≤ 1")), "Σ α_k over the challengers of a rolling year"],
  MLQ_CHALLENGER_MAX_DAYS: ["ab.challengerMaxDays", num(60, (s) => s.gt(0, "expected more than 0 days")), "a challenger expires after this many days in the slot"],
  MLQ_AB_SHADOW_WORSE_P: ["ab.shadowWorseP", num(0.05, (s) => s.gt(0).lt(1)), "the shadow evaluation blocks a swap when its p(challenger worse) is below this"],
  MLQ_AB_EVIDENCE: [
    "ab.evidence",
    z.enum(["paper", "shadow"], { error: "expected paper or shadow" }).default("paper"),
    "what decides a promotion: paper (the paper-trade A/B, the shadow test as a veto) or shadow (the paired shadow series alone)",
  ],
  MLQ_SHADOW: ["shadow.enabled", bool(true), "each A/B look runs the paired shadow evaluation of champion and challenger"],
  MLQ_SHADOW_MIN_BARS: ["shadow.minBars", int(0), "paired bars (all symbols) before the shadow test gives a p-value (0 = 300 × MLQ_HORIZON_BARS)"],
  MLQ_SHADOW_RESAMPLES: ["shadow.resamples", int(2000, 99), "block-bootstrap resamples (fixed)"],
  MLQ_SHADOW_BLOCK_BARS: ["shadow.blockBars", int(0), "block-bootstrap block length in bars, ≥ MLQ_HORIZON_BARS (0 = 2 × H)"],
  MLQ_SHADOW_SEED: ["shadow.seed", int(16), "seed of the bootstrap's resampling (same bars, same p)"],

  MLQ_ROLLBACK: ["monitor.rollback", bool(true), "the hourly monitor rolls a decaying champion back to previous_champion"],
  MLQ_ROLLBACK_REFERENCE_SR: ["monitor.referenceSharpe", num(0.05), "healthy per-trade Sharpe of a champion (σ units; never the A/B's estimate)"],
  MLQ_ROLLBACK_DECAY_SR: ["monitor.decaySharpe", num(-0.1), "decayed per-trade Sharpe the detector is tuned to catch"],
  MLQ_ROLLBACK_TRADES_PER_DAY: ["monitor.tradesPerDay", num(20, (s) => s.gt(0)), "champion trades a day the false-alarm rate is calibrated for"],
  MLQ_ROLLBACK_MAX_FALSE_ALARMS_PER_YEAR: ["monitor.maxFalseAlarmsPerYear", num(0.5, (s) => s.gt(0)), "rollbacks a year a healthy champion may suffer on average"],

  MLQ_CAL_EMA_SPAN: ["calibration.emaSpan", int(100, 1), "EMA span"],
  MLQ_CAL_RECENT_TRADES: ["calibration.recentTrades", int(50), "trades weighted x3 at the end"],
  MLQ_CAL_RECENT_BOOST: ["calibration.recentBoost", num(3, (s) => s.min(1)), "alpha boost for recent trades"],
  MLQ_CAL_ALPHA_CAP: ["calibration.alphaCap", num(0.5, (s) => s.gt(0).max(1)), "alpha ceiling"],
  MLQ_CAL_MIN_BUCKET_TRADES: ["calibration.minBucketTrades", int(20, 1), "trades a bucket needs for its own multiplier"],
  MLQ_CAL_REGIME_LOOKBACK_BARS: ["calibration.regimeLookbackBars", int(60, 5), "candles before a trade's open used for its regime"],
  MLQ_CAL_VOLATILE_PCT: ["calibration.volatilePercentile", pct(80), "trailing-vol percentile above which a trade is 'volatile'"],
  MLQ_CAL_TRENDING_ER: ["calibration.trendingEfficiency", num(0.3, (s) => s.min(0).max(1)), "efficiency ratio for 'trending'"],

  MLQ_CRON_CALIBRATE: ["schedules.calibrate", cron("30 12 * * *"), "calibrate cron (UTC)"],
  MLQ_CRON_RETRAIN: ["schedules.retrain", cron("0 13 * * *"), "retrain cron (UTC)"],
  MLQ_CRON_AB_EVAL: ["schedules.abEval", cron("0 1 * * *"), "ab-eval cron (UTC)"],
  MLQ_CRON_MONITOR: ["schedules.monitor", cron("5 * * * *"), "monitor cron (UTC)"],
  MLQ_SCHEDULE_TZ: ["schedules.tz", str("UTC"), "scheduler time zone"],
  MLQ_SCHEDULE_RECHECK_MS: ["schedules.recheckMs", int(60_000, 1000), "how often the producer re-creates vanished schedulers"],

  MLQ_TIMEOUT_RETRAIN_MS: ["timeouts.retrain", int(2 * 3_600_000, 1), "retrain timeout"],
  MLQ_TIMEOUT_AB_EVAL_MS: ["timeouts.abEval", int(30 * 60_000, 1), "ab-eval timeout"],
  MLQ_TIMEOUT_CALIBRATE_MS: ["timeouts.calibrate", int(30 * 60_000, 1), "calibrate timeout"],
  MLQ_TIMEOUT_MONITOR_MS: ["timeouts.monitor", int(5 * 60_000, 1), "monitor timeout"],
  MLQ_TIMEOUT_NOTIFY_MS: ["timeouts.notify", int(60_000, 1), "notify timeout (one webhook delivery attempt)"],
  MLQ_TIMEOUT_TRAIN_MS: ["timeouts.train", int(30 * 60_000, 1), "train timeout (one search candidate on a worker-train host)"],
  MLQ_BUILD_ID: ["buildId", z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, "expected 1-128 of [A-Za-z0-9._-]").optional(), "the code build a search's children must share (default: a hash of @mlq/ml's built code and XGBoost's wasm); stamp the same id on every host of one deployment"],
  MLQ_HOST_ID: ["hostId", z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "expected 1-64 of [A-Za-z0-9._-]").optional(), "this host's name in retrain_trials and logs (default: the OS hostname)"],
  MLQ_RETRY_ATTEMPTS: ["retry.attempts", int(3, 1), "attempts for transient failures"],
  MLQ_RETRY_BACKOFF_MS: ["retry.backoffMs", int(10_000, 0), "first exponential backoff delay"],
  MLQ_KEEP_COMPLETED_AGE_S: ["retention.completedAgeSec", int(14 * 86_400), "keep completed jobs this long"],
  MLQ_KEEP_COMPLETED_COUNT: ["retention.completedCount", int(500), "keep at most this many completed jobs"],
  MLQ_KEEP_FAILED_AGE_S: ["retention.failedAgeSec", int(30 * 86_400), "keep failed jobs this long"],
  MLQ_KEEP_FAILED_COUNT: ["retention.failedCount", int(2000), "keep at most this many failed jobs"],
  MLQ_SHUTDOWN_GRACE_MS: ["worker.shutdownGraceMs", int(30_000), "wait for a running job on SIGTERM before aborting it"],
  MLQ_LOCK_DURATION_MS: ["worker.lockDurationMs", int(30_000, 1000), "BullMQ job lock duration"],
  MLQ_STALLED_INTERVAL_MS: ["worker.stalledIntervalMs", int(30_000, 1000), "BullMQ stalled-job check interval"],

  MLQ_DASHBOARD_HOST: ["dashboard.host", str("127.0.0.1"), "dashboard bind address"],
  MLQ_DASHBOARD_PORT: ["dashboard.port", int(3000, 0), "dashboard port"],
  MLQ_DASHBOARD_USER: ["dashboard.user", z.string().optional(), "basic-auth user"],
  MLQ_DASHBOARD_PASSWORD_HASH: ["dashboard.passwordHash", z.string().optional(), "scrypt hash from `node apps/dashboard/dist/main.js hash-password` (N = 2^17)"],
  MLQ_DASHBOARD_TOKEN: ["dashboard.token", z.string().min(16, "expected at least 16 characters").optional(), "admin bearer token"],
  MLQ_DASHBOARD_READONLY_TOKEN: ["dashboard.readonlyToken", z.string().min(16, "expected at least 16 characters").optional(), "viewer bearer token"],
  MLQ_DASHBOARD_READONLY: ["dashboard.readOnly", bool(false), "Bull Board read-only for everyone"],
  MLQ_DASHBOARD_TRUST_PROXY: ["dashboard.trustProxy", int(0), "reverse-proxy hops whose X-Forwarded-For names the client (0 = none; the login limiter keys on the client)"],
  MLQ_DASHBOARD_ALLOWED_HOSTS: ["dashboard.allowedHosts", hostList(), "comma list of Host headers answered (host or host:port; empty = any with credentials)"],

  MLQ_SERVE_HOST: ["serve.host", str("127.0.0.1"), "prediction service bind address"],
  MLQ_SERVE_PORT: ["serve.port", int(3100, 0), "prediction service port"],
  MLQ_SERVE_TOKEN: ["serve.token", z.string().min(16, "expected at least 16 characters").optional(), "bearer token the bot sends to the prediction service"],
  MLQ_SERVE_REFRESH_MS: ["serve.refreshMs", int(1000, 50), "how often the prediction service materializes new ticks into candles and re-reads the roles"],
  MLQ_SERVE_MATERIALIZE: ["serve.materialize", bool(true), "the prediction service materializes candles itself (false: another process keeps candles_1m current)"],

  // issue 16/17: train-time baselines
  MLQ_SHADOW_ENTRY_QUANTILE: [
    "shadow.entryQuantile",
    num(0.8, (s) => s.gt(0, "expected 0 < q < 1").lt(1, "expected 0 < q < 1")),
    "entry threshold stored in the manifest: this quantile of the direction model's test-split probabilities",
  ],
  MLQ_DRIFT_WINDOW_HOURS: ["drift.windowHours", int(24, 1), "PSI window (hours of closed bars); the train-time calibration steps the same windows hourly"],
  MLQ_DRIFT_MIN_FEATURES: [
    "drift.minFeatures",
    z.coerce.number({ error: "expected an integer" }).int("expected an integer").min(1, "expected 1..11").max(11, "expected 1..11").default(3),
    "drift rule: at least this many features of one symbol over their thresholds",
  ],
  MLQ_DRIFT_THRESHOLD_QUANTILE: [
    "drift.thresholdQuantile",
    num(0.99, (s) => s.gt(0, "expected 0 < q ≤ 1").max(1, "expected 0 < q ≤ 1")),
    "per-feature PSI threshold: this quantile of the training period's window PSIs",
  ],
  MLQ_DRIFT_MIN_PSI: [
    "drift.minPsi",
    num(0.3, (s) => s.min(0, "expected ≥ 0")),
    "floor of every feature's PSI threshold (a training-period quantile near PSI's sampling noise flags ordinary days)",
  ],
  MLQ_DRIFT_RETRAIN: ["drift.retrain", bool(true), "the hourly monitor enqueues a `drift` retrain when the champion's drift rule fires"],
  MLQ_DRIFT_COOLDOWN_HOURS: ["drift.cooldownHours", num(24, (s) => s.min(0, "expected ≥ 0")), "at most one drift retrain per this many hours"],
  MLQ_IMPORTANCE_ROWS: [
    "importance.sampleRows",
    z.coerce.number({ error: "expected an integer" }).int("expected an integer").min(0, "expected 0..20000").max(20_000, "expected 0..20000").default(2000),
    "test rows sampled for permutation importance (0 = off)",
  ],
  MLQ_IMPORTANCE_REPEATS: [
    "importance.repeats",
    z.coerce.number({ error: "expected an integer" }).int("expected an integer").min(1, "expected 1..10").max(10, "expected 1..10").default(1),
    "permutations per feature and model (their mean is stored)",
  ],

  // issue 17: events out (queue notify, apps/worker-notify)
  MLQ_NOTIFY_WEBHOOK_URL: [
    "notify.webhookUrl",
    z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" }).optional(),
    "events (swaps, rollbacks, drift retrains, rejected/expired/skipped versions, jobs failed for good) are POSTed here as signed JSON; unset = no events",
  ],
  MLQ_NOTIFY_SECRET: ["notify.secret", z.string().min(16, "expected at least 16 characters").optional(), "HMAC-SHA256 key of the webhook signature (whsec_<base64> is decoded, anything else used as UTF-8 bytes)"],
  MLQ_NOTIFY_REQUEST_TIMEOUT_MS: ["notify.requestTimeoutMs", int(10_000, 100), "one webhook request may take this long before it counts as failed"],
  MLQ_NOTIFY_ATTEMPTS: ["notify.attempts", int(10, 1), "delivery attempts per event (exponential backoff between them)"],
  MLQ_NOTIFY_BACKOFF_MS: ["notify.backoffMs", int(30_000, 0), "first backoff delay between delivery attempts (doubles each time)"],
} as const satisfies Record<string, readonly [string, z.ZodType, string]>;

type Spec = typeof SPEC;
type Leaf<K extends keyof Spec> = z.output<Spec[K][1]>;

// Build the nested output type from the dotted paths.
type PathOf<K extends keyof Spec> = Spec[K][0];
type Split<P extends string> = P extends `${infer H}.${infer R}` ? [H, ...Split<R>] : [P];
type Nest<Parts extends string[], V> = Parts extends [infer H extends string, ...infer R extends string[]]
  ? { readonly [k in H]: Nest<R, V> }
  : V;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type Deep<T> = T extends object ? { readonly [K in keyof T]: Deep<T[K]> } : T;
export type Config = Deep<UnionToIntersection<{ [K in keyof Spec]: Nest<Split<PathOf<K>>, Leaf<K>> }[keyof Spec]>>;

export const ENV_VARS: ReadonlyArray<{ name: string; path: string; help: string }> = Object.entries(SPEC).map(
  ([name, [path, , help]]) => ({ name, path, help }),
);

export class ConfigValidationError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigValidationError";
    this.problems = problems;
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Parses the environment (empty strings count as unset) into a frozen config.
 * `overrides` take precedence over env and are validated the same way.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Record<string, string | number | boolean> = {}): Config {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, [path, schema]] of Object.entries(SPEC) as [string, readonly [string, z.ZodType, string]][]) {
    const raw = name in overrides ? overrides[name] : env[name];
    const value = raw === "" ? undefined : typeof raw === "number" || typeof raw === "boolean" ? String(raw) : raw;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const msg = parsed.error.issues.map((i) => i.message).join("; ");
      problems.push(`${name}=${JSON.stringify(value)}: ${msg}`);
      continue;
    }
    const parts = path.split(".");
    let node = out;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]!] = parsed.data;
  }
  const cfg = out as unknown as Config;
  for (const [name, replacement] of Object.entries(RETIRED_ENV_VARS)) {
    const raw = name in overrides ? overrides[name] : env[name];
    if (raw !== undefined && raw !== "") problems.push(`${name} is retired: ${replacement}; remove it from the environment`);
  }
  if (problems.length === 0) {
    if (cfg.gates.volPercentileLo >= cfg.gates.volPercentileHi)
      problems.push("MLQ_GATE_VOL_PCT_LO must be below MLQ_GATE_VOL_PCT_HI");
    if (cfg.monitor.referenceSharpe <= cfg.monitor.decaySharpe)
      problems.push("MLQ_ROLLBACK_REFERENCE_SR must exceed MLQ_ROLLBACK_DECAY_SR (the healthy Sharpe above the decayed one the detector looks for)");
    if (cfg.shadow.blockBars > 0 && cfg.shadow.blockBars < cfg.retrain.horizonBars)
      problems.push(`MLQ_SHADOW_BLOCK_BARS=${cfg.shadow.blockBars} must be 0 (2 × H) or ≥ MLQ_HORIZON_BARS (${cfg.retrain.horizonBars}): a block shorter than a holding period cuts positions apart`);
    if (cfg.ab.evidence === "shadow" && !cfg.shadow.enabled) problems.push("MLQ_AB_EVIDENCE=shadow needs the shadow evaluation: remove MLQ_SHADOW=false");
    if (cfg.costs.slippageMultMin > cfg.costs.slippageMultMax)
      problems.push("MLQ_SLIPPAGE_MULT_MIN must not exceed MLQ_SLIPPAGE_MULT_MAX");
    const gridSize = [cfg.search.rounds, cfg.search.maxDepth, cfg.search.eta, cfg.search.minChildWeight, cfg.search.subsample].reduce(
      (n, list) => n * (list?.length ?? 1),
      1,
    );
    if (cfg.search.mode === "grid" && gridSize > cfg.search.candidates)
      problems.push(`MLQ_SEARCH_CANDIDATES=${cfg.search.candidates}: the MLQ_SEARCH_* grid has ${gridSize} combinations; raise it or shorten the lists`);
    if (cfg.search.blobTtlSec * 1000 < cfg.timeouts.retrain)
      problems.push(`MLQ_SEARCH_BLOB_TTL_S=${cfg.search.blobTtlSec} is shorter than the retrain timeout (MLQ_TIMEOUT_RETRAIN_MS ${cfg.timeouts.retrain}): the candidate data could expire while its children wait`);
    if (cfg.notify.webhookUrl && !cfg.notify.secret)
      problems.push("MLQ_NOTIFY_WEBHOOK_URL is set but MLQ_NOTIFY_SECRET is not: every event is signed, set a secret of at least 16 characters");
    if (cfg.notify.requestTimeoutMs >= cfg.timeouts.notify)
      problems.push("MLQ_NOTIFY_REQUEST_TIMEOUT_MS must be below MLQ_TIMEOUT_NOTIFY_MS (one request inside one delivery attempt)");
    if (!/^redis(s)?:\/\//.test(cfg.redisUrl)) problems.push(`REDIS_URL=${JSON.stringify(cfg.redisUrl)}: expected a redis:// or rediss:// URL`);
    if (cfg.queuePrefix.includes(":")) problems.push(`MLQ_QUEUE_PREFIX=${JSON.stringify(cfg.queuePrefix)}: must not contain ':'`);
    try {
      Intl.DateTimeFormat("en-US", { timeZone: cfg.schedules.tz });
    } catch {
      problems.push(`MLQ_SCHEDULE_TZ=${JSON.stringify(cfg.schedules.tz)}: unknown time zone`);
    }
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return deepFreeze(cfg);
}
