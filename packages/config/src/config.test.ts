import { describe, expect, it } from "vitest";
import { ConfigValidationError, loadConfig, WASM_TRAINER_MAX_ROWS } from "./config.js";

describe("loadConfig", () => {
  it("applies the SPEC defaults when nothing is set", () => {
    const c = loadConfig({});
    expect(c.redisUrl).toBe("redis://127.0.0.1:6379");
    expect(c.queuePrefix).toBe("{mlq}");
    expect(c.gates.paperDays).toBe(14);
    expect(c.gates.minClosedTrades).toBe(75);
    expect(c.gates.minClosedTradesSmoke).toBe(10);
    expect(c.retrain.horizonBars).toBe(15);
    expect(c.ab).toMatchObject({ minTradesPerArm: 100, alpha: 0.05, alphaBudget: 0.25, challengerMaxDays: 60, shadowWorseP: 0.05 });
    expect(c.monitor).toMatchObject({ rollback: true, referenceSharpe: 0.05, decaySharpe: -0.1, tradesPerDay: 20, maxFalseAlarmsPerYear: 0.5 });
    expect(c.schedules).toMatchObject({ calibrate: "30 12 * * *", retrain: "0 13 * * *", abEval: "0 1 * * *", monitor: "5 * * * *", tz: "UTC" });
    expect(c.timeouts.monitor).toBe(300_000);
    expect(c.timeouts.retrain).toBe(7_200_000);
  });

  it("coerces env strings and returns a frozen object", () => {
    const c = loadConfig({ MLQ_GATE_MIN_TRADES: "80", MLQ_DASHBOARD_READONLY: "yes", REDIS_URL: "redis://:pw@10.0.0.1:6380/2" });
    expect(c.gates.minClosedTrades).toBe(80);
    expect(c.dashboard.readOnly).toBe(true);
    expect(c.redisUrl).toBe("redis://:pw@10.0.0.1:6380/2");
    expect(Object.isFrozen(c.gates)).toBe(true);
  });

  it("reports every invalid variable at once, naming it and what it expects", () => {
    let err: unknown;
    try {
      loadConfig({ MLQ_GATE_MIN_TRADES: "many", MLQ_AB_MIN_CONFIDENCE: "1.5", MLQ_CRON_RETRAIN: "daily", MLQ_SCHEDULE_TZ: "Mars/Base" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigValidationError);
    const problems = (err as ConfigValidationError).problems.join("\n");
    expect(problems).toMatch(/MLQ_GATE_MIN_TRADES="many": expected an integer/);
    expect(problems).toMatch(/MLQ_AB_MIN_CONFIDENCE is retired: .*MLQ_AB_ALPHA/);
    expect(problems).toMatch(/MLQ_CRON_RETRAIN="daily": expected a cron pattern/);
  });

  it("stops start-up on the retired MLQ_AB_MIN_CONFIDENCE, naming its replacement, and bounds α", () => {
    expect(() => loadConfig({ MLQ_AB_MIN_CONFIDENCE: "0.9" })).toThrow(/MLQ_AB_MIN_CONFIDENCE is retired: .*sequential boundary.*MLQ_AB_ALPHA \(default 0.05\)/);
    expect(() => loadConfig({ MLQ_AB_MIN_CONFIDENCE: "" })).not.toThrow();
    expect(() => loadConfig({ MLQ_AB_ALPHA: "0.5" })).toThrow(/MLQ_AB_ALPHA="0.5": expected 0 < α < 0.5/);
    expect(() => loadConfig({ MLQ_AB_ALPHA_BUDGET: "0" })).toThrow(/MLQ_AB_ALPHA_BUDGET="0"/);
    expect(() => loadConfig({ MLQ_ROLLBACK_REFERENCE_SR: "-0.2" })).toThrow(/MLQ_ROLLBACK_REFERENCE_SR must exceed MLQ_ROLLBACK_DECAY_SR/);
    expect(loadConfig({ MLQ_AB_ALPHA: "0.025", MLQ_CHALLENGER_MAX_DAYS: "30" }).ab).toMatchObject({ alpha: 0.025, challengerMaxDays: 30 });
  });

  it("rejects an unknown time zone and a prefix with a colon", () => {
    expect(() => loadConfig({ MLQ_SCHEDULE_TZ: "Mars/Base" })).toThrow(/MLQ_SCHEDULE_TZ="Mars\/Base": unknown time zone/);
    expect(() => loadConfig({ MLQ_QUEUE_PREFIX: "a:b" })).toThrow(/must not contain ':'/);
  });

  it("bounds MLQ_MAX_TRAINING_ROWS by the WebAssembly trainer's measured ceiling", () => {
    expect(loadConfig({}).retrain.maxTrainingRows).toBe(500_000);
    expect(loadConfig({ MLQ_MAX_TRAINING_ROWS: String(WASM_TRAINER_MAX_ROWS) }).retrain.maxTrainingRows).toBe(1_000_000);
    expect(() => loadConfig({ MLQ_MAX_TRAINING_ROWS: "1000001" })).toThrow(ConfigValidationError);
    expect(() => loadConfig({ MLQ_MAX_TRAINING_ROWS: "5000000" })).toThrow(
      /MLQ_MAX_TRAINING_ROWS="5000000": expected at most 1000000, the WebAssembly trainer's measured ceiling/,
    );
  });

  it("reads the regime gate's per-symbol settings, share in (0, 1]", () => {
    expect(loadConfig({}).gates).toMatchObject({ regimeMinHistoryDays: 7, regimeMinSymbolShare: 1 });
    expect(loadConfig({ MLQ_GATE_REGIME_MIN_SYMBOL_SHARE: "0.75", MLQ_GATE_REGIME_MIN_HISTORY_DAYS: "10" }).gates).toMatchObject({
      regimeMinHistoryDays: 10,
      regimeMinSymbolShare: 0.75,
    });
    expect(() => loadConfig({ MLQ_GATE_REGIME_MIN_SYMBOL_SHARE: "0" })).toThrow(/MLQ_GATE_REGIME_MIN_SYMBOL_SHARE="0": expected 0 < share ≤ 1/);
    expect(() => loadConfig({ MLQ_GATE_REGIME_MIN_SYMBOL_SHARE: "1.2" })).toThrow(ConfigValidationError);
  });

  it("reads the webhook settings: off by default, an http(s) URL needs a secret, the request fits in the job's timeout", () => {
    const off = loadConfig({});
    expect(off.notify).toEqual({ webhookUrl: undefined, secret: undefined, requestTimeoutMs: 10_000, attempts: 10, backoffMs: 30_000 });
    expect(off.timeouts.notify).toBe(60_000);
    const on = loadConfig({ MLQ_NOTIFY_WEBHOOK_URL: "https://hooks.example.com/mlq", MLQ_NOTIFY_SECRET: "0123456789abcdef" });
    expect(on.notify.webhookUrl).toBe("https://hooks.example.com/mlq");
    expect(() => loadConfig({ MLQ_NOTIFY_WEBHOOK_URL: "https://hooks.example.com/mlq" })).toThrow(/MLQ_NOTIFY_SECRET is not/);
    expect(() => loadConfig({ MLQ_NOTIFY_WEBHOOK_URL: "ftp://x.example.com/", MLQ_NOTIFY_SECRET: "0123456789abcdef" })).toThrow(/MLQ_NOTIFY_WEBHOOK_URL.*http/);
    expect(() => loadConfig({ MLQ_NOTIFY_SECRET: "short" })).toThrow(/MLQ_NOTIFY_SECRET.*16/);
    expect(() => loadConfig({ MLQ_NOTIFY_REQUEST_TIMEOUT_MS: "60000" })).toThrow(/MLQ_NOTIFY_REQUEST_TIMEOUT_MS must be below MLQ_TIMEOUT_NOTIFY_MS/);
  });

  it("treats empty strings as unset and lets overrides win", () => {
    expect(loadConfig({ MLQ_DB_PATH: "" }).dbPath).toBe("data/trading.db");
    expect(loadConfig({ MLQ_DB_PATH: "a.db" }, { MLQ_DB_PATH: "b.db" }).dbPath).toBe("b.db");
  });

  it("reads the dashboard's proxy hop count and Host allowlist (off and empty by default)", () => {
    expect(loadConfig({}).dashboard).toMatchObject({ trustProxy: 0, allowedHosts: [] });
    const c = loadConfig({ MLQ_DASHBOARD_TRUST_PROXY: "1", MLQ_DASHBOARD_ALLOWED_HOSTS: " Dash.Example.com , 10.0.0.5:8443,[::1]:3000," });
    expect(c.dashboard.trustProxy).toBe(1);
    expect(c.dashboard.allowedHosts).toEqual(["dash.example.com", "10.0.0.5:8443", "[::1]:3000"]);
    expect(() => loadConfig({ MLQ_DASHBOARD_TRUST_PROXY: "yes" })).toThrow(/MLQ_DASHBOARD_TRUST_PROXY="yes": expected an integer/);
    expect(() => loadConfig({ MLQ_DASHBOARD_ALLOWED_HOSTS: "https://dash.example.com/" })).toThrow(/MLQ_DASHBOARD_ALLOWED_HOSTS=.*expected a comma list of host or host:port entries/);
  });
  it("reads the search space: a one-candidate default, comma lists validated, a grid within the candidate budget", () => {
    expect(loadConfig({}).search).toEqual({ mode: "grid", candidates: 20, seed: 42, innerTrainFraction: 0.7, minDsr: 0.5, trainer: "auto", blobTtlSec: 21_600 });
    expect(loadConfig({ MLQ_SEARCH_TRAINER: "flow" }).search.trainer).toBe("flow");
    expect(() => loadConfig({ MLQ_SEARCH_TRAINER: "ray" })).toThrow(/MLQ_SEARCH_TRAINER="ray": expected auto, flow or local/);
    expect(() => loadConfig({ MLQ_SEARCH_BLOB_TTL_S: "600" })).toThrow(/MLQ_SEARCH_BLOB_TTL_S=600 is shorter than the retrain timeout/);
    const c = loadConfig({ MLQ_SEARCH_MAX_DEPTH: "3, 4,6,4", MLQ_SEARCH_ETA: "0.05,0.1", MLQ_SEARCH_MODE: "random", MLQ_SEARCH_CANDIDATES: "8" });
    expect(c.search).toMatchObject({ mode: "random", candidates: 8, maxDepth: [3, 4, 6], eta: [0.05, 0.1] });
    const err = (() => {
      try {
        loadConfig({ MLQ_SEARCH_MAX_DEPTH: "3,x", MLQ_SEARCH_ETA: "0,0.1", MLQ_SEARCH_SUBSAMPLE: "1.5", MLQ_SEARCH_MIN_DSR: "2", MLQ_SEARCH_MODE: "bayes" });
      } catch (e) {
        return e as ConfigValidationError;
      }
      return undefined;
    })();
    expect(err?.problems).toEqual([
      'MLQ_SEARCH_MODE="bayes": expected grid or random',
      'MLQ_SEARCH_MAX_DEPTH="3,x": expected a comma list of integers 1..16',
      'MLQ_SEARCH_ETA="0,0.1": expected a comma list of numbers in (0, 1]',
      'MLQ_SEARCH_SUBSAMPLE="1.5": expected a comma list of numbers in (0, 1]',
      'MLQ_SEARCH_MIN_DSR="2": expected 0..1',
    ]);
    expect(() => loadConfig({ MLQ_SEARCH_CANDIDATES: "4", MLQ_SEARCH_MAX_DEPTH: "3,4,5", MLQ_SEARCH_ETA: "0.05,0.1" })).toThrow(
      /MLQ_SEARCH_CANDIDATES=4: the MLQ_SEARCH_\* grid has 6 combinations/,
    );
  });
});
