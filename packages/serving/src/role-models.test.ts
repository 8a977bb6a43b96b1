import { appendFileSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Logger } from "@mlq/core";
import { FEATURE_NAMES, loadScoringVersion, predict } from "@mlq/ml";
import { loadModelSet } from "@mlq/registry";
import { LiveCandleBook } from "./live-candles.js";
import { answerBatch, answerPrediction } from "./predict-answer.js";
import { RoleModels, servedModelSet } from "./role-models.js";
import { dbFixture, forceSwap, insertBars, randomBars, register, saveTrainedVersion, type DbFixture } from "./serving.test-util.js";

const T0 = Date.UTC(2026, 1, 1);

// Training boosters is the slow part: once, then each test copies the models dir.
let template: string;
beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), "mlq-serving-models-"));
  for (const [version, seed] of [
    ["1", 1],
    ["2", 2],
    ["3", 3],
  ] as const)
    await saveTrainedVersion(template, version, seed);
  return () => rmSync(template, { recursive: true, force: true });
}, 60_000);

let fx: DbFixture;
let modelsDir: string;
let logged: { level: string; msg: string; fields?: Record<string, unknown> }[];
let failures: string[];
let clock: number;
let roles: RoleModels;
const logger: Logger = {
  debug: () => undefined,
  info: (msg, fields) => logged.push({ level: "info", msg, ...(fields ? { fields } : {}) }),
  warn: (msg, fields) => logged.push({ level: "warn", msg, ...(fields ? { fields } : {}) }),
  error: (msg, fields) => logged.push({ level: "error", msg, ...(fields ? { fields } : {}) }),
};

beforeEach(() => {
  fx = dbFixture();
  modelsDir = join(fx.dir, "models");
  cpSync(template, modelsDir, { recursive: true });
  logged = [];
  failures = [];
  clock = T0;
  roles = new RoleModels({
    modelsDir,
    logger,
    now: () => clock,
    retryMs: 60_000,
    onLoadFailure: (role, version) => failures.push(`${role}/${version}`),
  });
});
afterEach(() => fx.dispose());

describe("RoleModels", () => {
  it("has no champion before the first registration, then loads it sha256-verified", () => {
    expect(roles.refresh(fx.conn)).toEqual([]);
    expect(roles.slot("champion")).toEqual({ set: null, wanted: null, problem: null });
    register(fx.conn, modelsDir, "1", T0);
    expect(roles.refresh(fx.conn)).toEqual(["champion"]);
    const set = roles.slot("champion").set!;
    expect(set.version).toBe("1");
    expect(set.manifestSha256).toBe(loadModelSet(modelsDir, "1").manifestSha256);
    expect(set.entryThreshold).toBeCloseTo(0.501, 12);
    expect(roles.slot("challenger").set).toBeNull();
  });

  it("follows a candidate into the challenger slot and a forced swap into the champion role", () => {
    register(fx.conn, modelsDir, "1", T0);
    register(fx.conn, modelsDir, "2", T0 + 1);
    roles.refresh(fx.conn);
    expect(roles.slot("challenger").set).toBeNull(); // a candidate waits; nobody gave it the slot
    forceSwap(fx.conn, modelsDir, "2", T0 + 2);
    expect(roles.refresh(fx.conn)).toEqual(["champion"]);
    expect(roles.slot("champion").set?.version).toBe("2");
    expect(roles.refresh(fx.conn)).toEqual([]); // nothing changed: nothing reloaded
  });

  it("keeps the old version serving when the new champion's file is corrupt, logs and counts it, and retries later", () => {
    register(fx.conn, modelsDir, "1", T0);
    register(fx.conn, modelsDir, "2", T0 + 1);
    roles.refresh(fx.conn);
    forceSwap(fx.conn, modelsDir, "2", T0 + 2);
    appendFileSync(join(modelsDir, "2", "direction.xgb"), "garbage"); // damaged after the swap verified it
    expect(roles.refresh(fx.conn)).toEqual([]);
    const slot = roles.slot("champion");
    expect(slot.set?.version).toBe("1");
    expect(slot.wanted).toBe("2");
    expect(slot.problem).toMatch(/champion version 2 failed to load: .*direction\.xgb.*; still serving 1/);
    expect(failures).toEqual(["champion/2"]);
    expect(logged.filter((l) => l.level === "error")).toHaveLength(1);
    roles.refresh(fx.conn);
    expect(failures).toHaveLength(1); // not retried on every refresh
    clock += 60_000;
    roles.refresh(fx.conn);
    expect(failures).toEqual(["champion/2", "champion/2"]);
  });

  it("refuses a version without one of the five models", () => {
    const loaded = loadScoringVersion(modelsDir, "1");
    const models = new Map(loaded.models);
    models.delete("momentum");
    expect(() => servedModelSet({ ...loaded, models })).toThrow(/model version 1 has no momentum model/);
  });
});

describe("answerPrediction / answerBatch", () => {
  let book: LiveCandleBook;
  beforeEach(() => {
    insertBars(fx.conn, "AAA-USDT", randomBars(300, T0, 1));
    insertBars(fx.conn, "BBB-USDT", randomBars(50, T0, 2));
    book = new LiveCandleBook();
    book.refresh(fx.conn.sqlite);
  });

  it("answers 503 with why while no champion exists", async () => {
    roles.refresh(fx.conn);
    const a = await answerPrediction(book, roles, "champion", "AAA-USDT");
    expect(a.status).toBe(503);
    expect(a.body).toMatchObject({ error: expect.stringMatching(/no champion yet/) });
    expect((await answerPrediction(book, roles, "challenger", "AAA-USDT")).body).toMatchObject({
      error: expect.stringMatching(/no challenger/),
    });
  });

  it("answers the version, the last closed bar, the 11 features, the five predictions of that row and the entry threshold", async () => {
    register(fx.conn, modelsDir, "1", T0);
    roles.refresh(fx.conn);
    const a = await answerPrediction(book, roles, "champion", "AAA-USDT");
    expect(a.status).toBe(200);
    if (a.status !== 200) return;
    const state = book.features("AAA-USDT");
    if (state?.kind !== "ready") throw new Error("not ready");
    expect(a.body).toMatchObject({
      symbol: "AAA-USDT",
      role: "champion",
      version: "1",
      bar: { ts_ms: state.barTsMs, close: state.close },
      entry_threshold: 0.501,
    });
    expect(Object.values(a.body.features)).toEqual(Array.from(state.features));
    const set = loadModelSet(modelsDir, "1");
    for (const m of set.models)
      expect(a.body.predictions[m.name as "direction"]).toBe((await predict(m.bytes, state.features, 1, FEATURE_NAMES.length))[0]);
  });

  it("answers 404 for an unknown symbol and 422 with the bars missing for one still warming up", async () => {
    register(fx.conn, modelsDir, "1", T0);
    roles.refresh(fx.conn);
    const unknown = await answerPrediction(book, roles, "champion", "ZZZ-USDT");
    expect(unknown).toMatchObject({
      status: 404,
      body: { error: expect.stringMatching(/unknown symbol "ZZZ-USDT": candles_1m has AAA-USDT, BBB-USDT/) },
    });
    const warm = await answerPrediction(book, roles, "champion", "BBB-USDT");
    expect(warm).toMatchObject({ status: 422, body: { bars_missing: 51, error: expect.stringMatching(/51 bars missing/) } });
  });

  it("answers a batch from one version, with per-symbol errors inside", async () => {
    register(fx.conn, modelsDir, "1", T0);
    roles.refresh(fx.conn);
    const a = await answerBatch(book, roles, "champion", ["AAA-USDT", "BBB-USDT", "ZZZ-USDT"]);
    expect(a.status).toBe(200);
    if (a.status !== 200) return;
    expect(a.body.version).toBe("1");
    expect(a.body.results.map((r) => ("error" in r ? r.status : r.version))).toEqual(["1", 422, 404]);
  });

  it("a request that started before a swap finishes with the set it took", async () => {
    register(fx.conn, modelsDir, "1", T0);
    register(fx.conn, modelsDir, "2", T0 + 1);
    roles.refresh(fx.conn);
    const pending = answerBatch(book, roles, "champion", ["AAA-USDT", "AAA-USDT"]);
    forceSwap(fx.conn, modelsDir, "2", T0 + 2);
    roles.refresh(fx.conn);
    const a = await pending;
    expect(a.status === 200 && a.body.results.map((r) => ("version" in r ? r.version : "error"))).toEqual(["1", "1"]);
    expect((await answerPrediction(book, roles, "champion", "AAA-USDT")).body).toMatchObject({ version: "2", entry_threshold: 0.502 });
  });
});
