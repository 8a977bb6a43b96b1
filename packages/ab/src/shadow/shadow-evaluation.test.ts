import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MINUTE_MS } from "@mlq/core";
import { loadCandles } from "@mlq/market-data";
import { buildFeatureRows } from "@mlq/ml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runShadowEvaluation, type ShadowInput } from "./shadow-evaluation.js";
import { DAY_MS, H, shadowFixture, T0, trainVersion, windowAfter, type ShadowFixture } from "./shadow.test-util.js";

// 12 days of candles for 2 symbols; versions train on the first 5 days, so the shadow window holds
// ≈ 7 days × 2 symbols ≈ 20,000 bars (the benchmark size).
const TRAIN_END = T0 + 5 * DAY_MS;
const NOW = T0 + 12 * DAY_MS;
const OPTIONS = { minBars: 0, resamples: 499, seed: 3, maxGapMinutes: 5, defaultEmbargoHours: 1 } as const;

let fx: ShadowFixture;

beforeAll(async () => {
  fx = shadowFixture({ days: 12 });
  await trainVersion(fx, "10", { trainEndMs: TRAIN_END, labelNoise: 0.45, seed: 1 });
  await trainVersion(fx, "11", { trainEndMs: TRAIN_END, seed: 2 });
  await trainVersion(fx, "12", { trainEndMs: TRAIN_END, seed: 2, omit: ["trainedThroughMs"] });
  await trainVersion(fx, "13", { trainEndMs: TRAIN_END, seed: 2, noDirection: true });
  await trainVersion(fx, "14", { trainEndMs: TRAIN_END + 2 * DAY_MS, seed: 4 });
  await trainVersion(fx, "15", { trainEndMs: TRAIN_END, seed: 2, omit: ["entryThreshold"] });
}, 120_000);
afterAll(() => fx.dispose());

const input = (champion: string, challenger: string, extra: Partial<ShadowInput> = {}): ShadowInput => ({
  conn: fx.conn,
  modelsDir: fx.modelsDir,
  champion,
  challenger,
  nowMs: NOW,
  costPerSide: 0.001,
  options: OPTIONS,
  ...extra,
});

describe("runShadowEvaluation on real boosters and demo-data's market model", () => {
  it("scores both versions on the same ≈ 20,000 bars after training + embargo and finds the planted better model better", async () => {
    const r = await runShadowEvaluation(input("10", "11"));
    expect(r.status).toBe("ok");
    expect(r.windowStartMs).toBe(windowAfter(TRAIN_END));
    expect(r.bars).toBeGreaterThan(19_000);
    expect(r.bars).toBeLessThanOrEqual(2 * 7 * 1440);
    expect(r.symbols).toEqual(["BTCUSDT", "ETHUSDT"]);
    expect(r.minBars).toBe(300 * H);
    expect(r.tradesA).toBeGreaterThan(50);
    expect(r.tradesB).toBeGreaterThan(50);
    // The version trained on clean labels trades the momentum signal; the one on 45 % flipped labels barely does.
    expect(r.sharpeB!).toBeGreaterThan(r.sharpeA!);
    expect(r.pBetter!).toBeLessThan(0.05);
    expect(r.pWorse!).toBeGreaterThan(0.5);
    expect(r.hacZ!).toBeGreaterThan(1.64);
    expect(r.correlation!).toBeGreaterThan(0);
    expect(r.curves!.ts.length).toBeLessThanOrEqual(401);
    expect(r.curves!.b.at(-1)!).toBeGreaterThan(r.curves!.a.at(-1)!);
  }, 60_000);

  it("is deterministic for the same bars and seed", async () => {
    const [x, y] = [await runShadowEvaluation(input("10", "11")), await runShadowEvaluation(input("10", "11"))];
    expect(y).toEqual(x);
  }, 60_000);

  it("gives p = 1 both ways for two identical model sets (no difference, never a swap)", async () => {
    const r = await runShadowEvaluation(input("11", "11"));
    expect(r).toMatchObject({ status: "ok", testStatus: "identical", pBetter: 1, pWorse: 1, difference: 0 });
  }, 60_000);

  it("starts the window after the later version's trained_through_ms + embargo", async () => {
    const r = await runShadowEvaluation(input("11", "14"));
    expect(r.status).toBe("ok");
    expect(r.windowStartMs).toBeGreaterThan(TRAIN_END + 2 * DAY_MS);
    expect(r.bars).toBeLessThan(2 * 5 * 1440 + 1);
  }, 60_000);

  it("refuses a version without trained_through_ms (look-ahead) or without an entry threshold: insufficient, with the reason", async () => {
    const r = await runShadowEvaluation(input("11", "12"));
    expect(r.status).toBe("insufficient");
    expect(r.reason).toMatch(/version 12 records no trained_through_ms .*look-ahead/);
    expect(r.pWorse).toBeNull();
    const t = await runShadowEvaluation(input("11", "15"));
    expect(t).toMatchObject({ status: "insufficient", pWorse: null });
    expect(t.reason).toMatch(/version 15 records no entry_threshold/);
  });

  it("a version dir without its direction model fails with a one-line reason naming the version", async () => {
    const r = await runShadowEvaluation(input("11", "13"));
    expect(r.status).toBe("failed");
    expect(r.reason).toMatch(/model version 13 in .* has no direction model/);
    expect(r.reason).not.toContain("\n");
  });

  it("a corrupt model file fails with the file named", async () => {
    const path = join(
      fx.modelsDir,
      "10",
      JSON.parse(readFileSync(join(fx.modelsDir, "10", "manifest.json"), "utf8")).models.direction.file,
    );
    const good = readFileSync(path);
    try {
      const bad = Buffer.from(good);
      bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 0xff;
      writeFileSync(path, bad);
      const r = await runShadowEvaluation(input("10", "11"));
      expect(r.status).toBe("failed");
      expect(r.reason).toContain(path);
      expect(r.reason).toMatch(/sha256/);
    } finally {
      writeFileSync(path, good);
    }
  });

  it("a window shorter than MLQ_SHADOW_MIN_BARS is insufficient and says how many bars it has", async () => {
    const r = await runShadowEvaluation(input("10", "11", { nowMs: windowAfter(TRAIN_END) + 3 * 3_600_000 }));
    expect(r.status).toBe("insufficient");
    expect(r.bars).toBeGreaterThan(300);
    expect(r.reason).toMatch(new RegExp(`has ${r.bars} paired bars since .*, fewer than MLQ_SHADOW_MIN_BARS = ${300 * H}`));
    expect(r.pWorse).toBeNull();
    const early = await runShadowEvaluation(input("10", "11", { nowMs: TRAIN_END }));
    expect(early).toMatchObject({ status: "insufficient" });
    expect(early.reason).toMatch(/still ahead/);
  }, 60_000);

  it("features read with one day of warm-up equal those of the whole history (EMA seeds forgotten) on every window bar", () => {
    const from = windowAfter(TRAIN_END);
    const full = buildFeatureRows([loadCandles(fx.conn.sqlite, { symbol: "BTCUSDT" })], { fromMs: from });
    const short = buildFeatureRows([loadCandles(fx.conn.sqlite, { symbol: "BTCUSDT", fromMs: from - 1440 * MINUTE_MS })], { fromMs: from });
    expect(short.rows).toBe(full.rows);
    let worst = 0;
    for (let i = 0; i < full.X.length; i++) worst = Math.max(worst, Math.abs(full.X[i]! - short.X[i]!));
    expect(worst).toBeLessThan(1e-12);
  });
});

describe("runShadowEvaluation on bad bars", () => {
  it("a gap of hours splits a symbol: no position is held across it and the evaluation still runs", async () => {
    const gapFx = shadowFixture({ days: 12, gap: { fromMs: T0 + 8 * DAY_MS, toMs: T0 + 8 * DAY_MS + 3 * 3_600_000 } });
    try {
      await trainVersion(gapFx, "1", { trainEndMs: TRAIN_END, labelNoise: 0.45, seed: 1 });
      await trainVersion(gapFx, "2", { trainEndMs: TRAIN_END, seed: 2 });
      const r = await runShadowEvaluation({ ...input("1", "2"), conn: gapFx.conn, modelsDir: gapFx.modelsDir });
      expect(r.status).toBe("ok");
      expect(r.perSymbol.map((s) => s.pieces)).toEqual([2, 2]);
    } finally {
      gapFx.dispose();
    }
  }, 60_000);

  it("a non-positive price in the window fails with the symbol, column and bar named", async () => {
    const badFx = shadowFixture({ days: 12 });
    try {
      await trainVersion(badFx, "1", { trainEndMs: TRAIN_END, labelNoise: 0.45, seed: 1 });
      await trainVersion(badFx, "2", { trainEndMs: TRAIN_END, seed: 2 });
      badFx.conn.sqlite.prepare("UPDATE candles_1m SET close = 0 WHERE symbol = 'ETHUSDT' AND bucket_ts_ms = ?").run(T0 + 9 * DAY_MS);
      const r = await runShadowEvaluation({ ...input("1", "2"), conn: badFx.conn, modelsDir: badFx.modelsDir });
      expect(r.status).toBe("failed");
      expect(r.reason).toMatch(/candles for ETHUSDT: close\[\d+\] is 0 at 2026-03-11T00:00:00/);
    } finally {
      badFx.dispose();
    }
  }, 60_000);
});
