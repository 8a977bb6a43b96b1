// The prediction service (apps/serve, built) against a demo database: 503 until a champion exists,
// a new tick batch becomes the next prediction's bar with training's features, a role swap during a
// burst of requests gives each answer the old or the new version (never an error or a mix), and bad
// input: missing token, unknown symbol, a symbol still warming up, a corrupt model at reload.
import { spawnSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "@mlq/core";
import { openMigrated, writeTx, type Connection } from "@mlq/db";
import { loadCandles, materializeCandles } from "@mlq/market-data";
import { buildFeatureRows, FEATURE_NAMES, MODEL_NAMES, predict, runRetrain } from "@mlq/ml";
import { currentRoles, loadModelSet, recordChampionChange, syncRoleFiles } from "@mlq/registry";
import { DEMO_END_MS, E2eFixture, REPO_ROOT, appEntry, demoDb, waitFor, type Spawned } from "./support.js";

const PYTHON = process.env.MLQ_PYTHON || "/usr/bin/python3";
const HAVE_XGBOOST = spawnSync(PYTHON, ["-c", "import xgboost"], { stdio: "ignore" }).status === 0;
if (!HAVE_XGBOOST)
  console.warn(
    `mlq: WARNING: the bot client parity test was SKIPPED: ${PYTHON} cannot import xgboost (apt-get install -y python3-xgboost, or set MLQ_PYTHON)`,
  );

const TOKEN = "serve-test-token-0123456789";
const SYMBOLS = ["BTC-USDT", "ETH-USDT"];

interface Prediction {
  symbol: string;
  version: string;
  bar: { ts_ms: number; close: number };
  features: Record<string, number>;
  predictions: Record<string, number>;
  entry_threshold: number | null;
}

let fx: E2eFixture;
let conn: Connection;
let serve: Spawned;
let url: string;
const auth = { authorization: `Bearer ${TOKEN}` };

async function get(path: string, headers: Record<string, string> = auth): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const predictPath = (symbol: string, role = "champion") => `/v1/predict?symbol=${encodeURIComponent(symbol)}&role=${role}`;

/** Appends ticks the way the bot does: every symbol, `minutes` minutes from `fromMs`, a few ticks each. */
function appendTicks(fromMs: number, minutes: number, symbols = SYMBOLS): void {
  const last = conn.sqlite.prepare("SELECT price FROM ticks WHERE symbol = ? ORDER BY rowid DESC LIMIT 1").pluck();
  const insert = conn.sqlite.prepare("INSERT INTO ticks (ts_ms, symbol, price, size) VALUES (?, ?, ?, ?)");
  conn.sqlite.transaction(() => {
    for (let m = 0; m < minutes; m++)
      for (const [k, symbol] of symbols.entries()) {
        let price = (last.get(symbol) as number | undefined) ?? 50;
        for (let t = 0; t < 3; t++) {
          price *= 1 + 0.0007 * Math.sin(m * 7 + t * 3 + k);
          insert.run(fromMs + m * 60_000 + t * 15_000 + k * 1000, symbol, price, 0.5);
        }
      }
  })();
}

function forceSwap(version: string, nowMs: number): void {
  writeTx(conn, () =>
    recordChampionChange(conn, fx.modelsDir, {
      tsMs: nowMs,
      event: "force_swap",
      version,
      role: "champion",
      trigger: "operator",
      reason: "serve e2e",
    }),
  );
  syncRoleFiles(conn, fx.modelsDir, silentLogger);
}

/** What mlq predicts for `features` with `version`'s models (the reference for "never a mix"). */
const expectedCache = new Map<string, Record<string, number>>();
async function expectedPredictions(version: string, features: Record<string, number>): Promise<Record<string, number>> {
  const row = Float64Array.from(FEATURE_NAMES.map((f) => features[f]!));
  const key = `${version}:${row.join(",")}`;
  const hit = expectedCache.get(key);
  if (hit) return hit;
  const set = loadModelSet(fx.modelsDir, version);
  const out: Record<string, number> = {};
  for (const m of set.models) out[m.name] = (await predict(m.bytes, row, 1, FEATURE_NAMES.length))[0]!;
  expectedCache.set(key, out);
  return out;
}

describe("mlq serve", () => {
  beforeAll(async () => {
    fx = new E2eFixture();
    await demoDb(fx.dbPath);
    conn = openMigrated(fx.dbPath);
    materializeCandles(conn);
    serve = fx.spawnNode(
      "serve",
      appEntry("serve"),
      [],
      fx.env({ MLQ_SERVE_TOKEN: TOKEN, MLQ_SERVE_PORT: "0", MLQ_SERVE_REFRESH_MS: "200" }),
    );
    await serve.waitForOutput(/mlq serve on http:\/\/\S+/, 30_000);
    url = /mlq serve on (http:\/\/\S+)/.exec(serve.output())![1]!;
    await waitFor("serve ready", async () => ((await fetch(`${url}/healthz`)).status === 200 ? true : undefined), 30_000);
  }, 120_000);

  afterAll(async () => {
    serve?.child.kill("SIGCONT");
    conn?.close();
    await fx?.cleanup();
  });

  it("answers 401 without the token and 503 with why while no champion exists", async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const noToken = await get(predictPath("BTC-USDT"), {});
    expect(noToken.status).toBe(401);
    expect(String(noToken.body.error)).toMatch(/Bearer/);
    expect((await get(predictPath("BTC-USDT"), { authorization: "Bearer wrong-token-wrong-token" })).status).toBe(401);
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const none = await get(predictPath("BTC-USDT"));
    expect(none.status).toBe(503);
    expect(String(none.body.error)).toMatch(/no champion yet/);
  });

  it("serves the champion a retrain registers, at the last closed bar, with the features training computes", async () => {
    const config = fx.config({ MLQ_XGB_ROUNDS: "10", MLQ_TRAIN_THREADS: "1" });
    for (let k = 0; k < 2; k++)
      expect((await runRetrain({ conn, config, nowMs: DEMO_END_MS + k }, { trigger: "force" })).outcome).toBe("trained");
    const roles = currentRoles(conn);
    expect(roles.champion?.version).toBe("1");
    expect(roles.challenger?.version).toBe("2");
    const answer = await waitFor("a champion prediction", async () => {
      const r = await get(predictPath("BTC-USDT"));
      return r.status === 200 ? (r.body as unknown as Prediction) : undefined;
    });
    expect(answer.version).toBe("1");
    expect(Object.keys(answer.predictions)).toEqual([...MODEL_NAMES]);
    expect(answer.entry_threshold).toBe(loadModelSet(fx.modelsDir, "1").manifest.entry_threshold?.threshold ?? null);
    expect(answer.predictions).toEqual(await expectedPredictions("1", answer.features));
    // Each role's set loads on its own refresh: on a loaded machine the challenger may come a refresh later.
    const challenger = await waitFor("a challenger prediction", async () => {
      const r = await get(predictPath("BTC-USDT", "challenger"));
      return r.status === 200 ? r : undefined;
    });
    expect(challenger.body).toMatchObject({ version: "2", bar: answer.bar });
    // The training path's feature row for the same bar.
    const rows = buildFeatureRows([loadCandles(conn.sqlite, { symbol: "BTC-USDT" })], {
      maxGapMinutes: config.retrain.maxGapMinutes,
      fromMs: answer.bar.ts_ms,
    });
    expect(rows.ts[0]).toBe(answer.bar.ts_ms);
    expect(Object.values(answer.features)).toEqual(Array.from(rows.X.subarray(0, FEATURE_NAMES.length)));
  }, 180_000);

  it("uses the new bar once a new tick batch arrives and candles update", async () => {
    const before = (await get(predictPath("ETH-USDT"))).body as unknown as Prediction;
    const lastTick = conn.sqlite.prepare("SELECT max(ts_ms) FROM ticks").pluck().get() as number;
    const nextMinute = Math.floor(lastTick / 60_000) * 60_000 + 60_000;
    appendTicks(nextMinute, 3); // closes the bar open at the last tick and two new ones; the third stays open
    const after = await waitFor("a prediction at a newer bar", async () => {
      const r = (await get(predictPath("ETH-USDT"))).body as unknown as Prediction;
      return r.bar.ts_ms === nextMinute + 60_000 ? r : undefined;
    });
    expect(after.bar.ts_ms).toBeGreaterThan(before.bar.ts_ms);
    const rows = buildFeatureRows([loadCandles(conn.sqlite, { symbol: "ETH-USDT" })], { fromMs: after.bar.ts_ms });
    expect(rows.ts[0]).toBe(after.bar.ts_ms);
    expect(Object.values(after.features)).toEqual(Array.from(rows.X.subarray(0, FEATURE_NAMES.length)));
    expect(after.predictions).toEqual(await expectedPredictions("1", after.features));
  });

  it("answers a burst across a role swap with the old or the new version, never an error or a mix", async () => {
    const answers: { seq: number; worker: number; status: number; body: Prediction }[] = [];
    let seq = 0;
    let swapped = false;
    const burst = async (worker: number) => {
      const deadline = Date.now() + 20_000;
      // Each worker keeps asking until a while after the swap became visible.
      for (let after = 0; after < 40 && Date.now() < deadline;) {
        const res = await fetch(`${url}/v1/predict`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({ symbols: SYMBOLS, role: "champion" }),
        });
        const body = (await res.json()) as { version: string; results: Prediction[] };
        answers.push({ seq: seq++, worker, status: res.status, body: body as unknown as Prediction });
        if (swapped && body.version === "2") after++;
        for (const r of body.results ?? []) expect(r.version).toBe(body.version);
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => burst(w));
    await waitFor("a few answers before the swap", () => (answers.length > 30 ? true : undefined));
    forceSwap("2", DEMO_END_MS + 10);
    swapped = true;
    await Promise.all(workers);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const versions = new Set(answers.map((a) => a.body.version));
    expect(versions).toEqual(new Set(["1", "2"]));
    // Per worker the version never goes back, and every answer's numbers are its version's.
    for (let w = 0; w < 8; w++) {
      const mine = answers.filter((a) => a.worker === w).map((a) => a.body.version);
      expect(mine.indexOf("2") === -1 || mine.slice(mine.indexOf("2")).every((v) => v === "2"), `worker ${w}: ${mine.join("")}`).toBe(true);
    }
    for (const a of answers) {
      for (const r of (a.body as unknown as { results: Prediction[] }).results)
        expect(r.predictions).toEqual(await expectedPredictions(a.body.version, r.features));
    }
  }, 60_000);

  it.skipIf(!HAVE_XGBOOST)("the Python reference client reads the role files, calls the service and matches it scoring locally", () => {
    const client = join(REPO_ROOT, "examples", "bot", "client.py");
    const args = [
      client,
      "--url",
      url,
      "--token",
      TOKEN,
      "--models",
      fx.modelsDir,
      "--symbols",
      [...SYMBOLS, "DOGE-USDT"].join(","),
      "--parity",
    ];
    const r = spawnSync(PYTHON, args, { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      version: string;
      role_files: Record<string, string | null>;
      results: { symbol: string; version?: string; status?: number; tags?: Record<string, string> }[];
      parity: { ok: boolean; rows: number; max_abs_diff: Record<string, number> };
    };
    expect(out.version).toBe("2");
    expect(out.role_files.champion).toBe("2");
    expect(out.results.map((x) => x.status ?? x.version)).toEqual(["2", "2", 404]);
    expect(out.results[0]!.tags).toEqual({ model_arm: "v1_backtest", model_version: "2" });
    expect(out.parity).toMatchObject({ ok: true, rows: 2 });
    for (const name of MODEL_NAMES) expect(out.parity.max_abs_diff[name], name).toBeLessThanOrEqual(1e-6);
    console.log("bot client parity: python xgboost vs the service, max |diff|", out.parity.max_abs_diff);
    const refused = spawnSync(PYTHON, [client, "--url", url, "--token", "wrong-token-wrong-token", "--symbols", "BTC-USDT"], {
      encoding: "utf8",
    });
    expect(refused.status).toBe(4);
    expect(refused.stderr).toMatch(/HTTP 401: authentication required/);
  });

  it("rejects an unknown symbol (404) and a symbol still warming up (422 with the bars missing)", async () => {
    const unknown = await get(predictPath("DOGE-USDT"));
    expect(unknown.status).toBe(404);
    expect(String(unknown.body.error)).toMatch(/unknown symbol "DOGE-USDT": candles_1m has BTC-USDT, ETH-USDT/);
    const lastTick = conn.sqlite.prepare("SELECT max(ts_ms) FROM ticks").pluck().get() as number;
    appendTicks(Math.floor(lastTick / 60_000) * 60_000 + 60_000, 6, [...SYMBOLS, "SOL-USDT"]);
    const warm = await waitFor("SOL-USDT known", async () => {
      const r = await get(predictPath("SOL-USDT"));
      return r.status === 422 && r.body.bars_missing === 96 ? r : undefined;
    });
    expect(String(warm.body.error)).toMatch(/SOL-USDT has 5 closed bars since its last gap, the features need 101: 96 bars missing/);
    expect((await get("/v1/predict?symbol=BTC-USDT&role=boss")).status).toBe(400);
  });

  it("keeps the old version serving when the new one's model file is corrupt at reload, and logs and counts it", async () => {
    expect(((await get(predictPath("BTC-USDT"))).body as unknown as Prediction).version).toBe("2");
    // Frozen, the service cannot reload between the swap (which verifies the files) and the damage.
    serve.child.kill("SIGSTOP");
    try {
      forceSwap("1", DEMO_END_MS + 20);
      appendFileSync(join(fx.modelsDir, "1", "risk.xgb"), "damage");
    } finally {
      serve.child.kill("SIGCONT");
    }
    const status = await waitFor("the failed load reported", async () => {
      const s = await get("/v1/status");
      const champion = (s.body.roles as Record<string, { version: string; wanted: string; problem: string | null }>).champion;
      return champion?.problem ? champion : undefined;
    });
    expect(status).toMatchObject({ version: "2", wanted: "1" });
    expect(status.problem).toMatch(/champion version 1 failed to load: .*risk\.xgb.*; still serving 2/);
    expect(((await get(predictPath("BTC-USDT"))).body as unknown as Prediction).version).toBe("2");
    const metrics = await (await fetch(`${url}/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/mlq_serve_model_load_failures_total\{role="champion"\} 1\b/);
    expect(metrics).toMatch(/mlq_serve_request_duration_seconds_bucket\{le="0.005",route="GET \/v1\/predict",status="200"\}/);
    await waitFor("the error logged", () => (/model set failed to load/.test(serve.output()) ? true : undefined), 5_000);
  });
});
