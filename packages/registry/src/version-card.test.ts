import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputDataError } from "@mlq/core";
import { openMigrated, type Connection } from "@mlq/db";
import type { ManifestInput } from "./manifest.js";
import { fakeModels, manifestInput } from "./registry.test-util.js";
import type { RoleEvent } from "./role-history.js";
import { appendRoleEvents } from "./role-store.js";
import { readVersionCard, roleSpansOf } from "./version-card.js";
import { diffVersionCards } from "./version-diff.js";
import { saveModelSet } from "./version-store.js";

const T = (h: number) => Date.UTC(2026, 10, 1) + h * 3_600_000;

/** 1 champion; 2 takes the slot and is promoted; 3 takes the slot; the monitor rolls 2 back to 1. */
const HISTORY: RoleEvent[] = [
  { tsMs: T(1), event: "register", version: "1", role: "champion", runId: 1, trigger: "scheduled" },
  { tsMs: T(2), event: "register", version: "2", role: "candidate", runId: 2, trigger: "scheduled" },
  { tsMs: T(3), event: "take_slot", version: "2", role: "challenger", alpha: 0.05 },
  { tsMs: T(4), event: "promote", version: "2", role: "champion", previousVersion: "1", runId: 7 },
  { tsMs: T(5), event: "register", version: "3", role: "candidate", runId: 3, trigger: "force" },
  { tsMs: T(6), event: "take_slot", version: "3", role: "challenger", alpha: 0.025 },
  { tsMs: T(7), event: "rollback", version: "1", role: "champion", previousVersion: "2", trigger: "monitor", reason: "champion decayed" },
];

/** What the retrain writes beyond the registry's fixture: gates, per-symbol rows, importance. */
const FULL: ManifestInput = {
  ...manifestInput,
  dataWindow: { train_end_ms: T(-48), test_start_ms: T(-24), test_end_ms: T(0), symbols: ["BTC-USDT", "ETH-USDT"] },
  rowCounts: { train: 700, test: 250, purged: 3 },
  extra: {
    runId: 2,
    trigger: "scheduled",
    gates: [{ name: "trade_count", passed: true, value: 80, threshold: 75, details: "80 closed trades" }],
    rowsBySymbol: {
      "BTC-USDT": { candles: 600, rows: 500, dropped: 100, train: 360, test: 130 },
      "ETH-USDT": { candles: 600, rows: 450, dropped: 150, train: 340, test: 120 },
    },
  },
  trainedThroughMs: T(0),
  featureImportance: {
    method: "permutation",
    split: "test",
    sample_rows: 250,
    repeats: 2,
    seed: 7,
    stream: "importance",
    models: {
      direction: {
        loss: "log_loss",
        baseline_loss: 0.68,
        importance: { ret_1: 0.002, ret_5: 0.011, rsi_14: null, atr_14: -0.0004 },
        std: { ret_5: 0.001 },
      },
      price: { loss: "rmse", baseline_loss: 0.002, importance: { ret_1: 0.0001, ret_5: 0.00002 } },
    },
  },
};

describe("roleSpansOf", () => {
  it("replays the whole history: a promotion of another version makes this one previous champion, a rollback makes it champion again", () => {
    expect(roleSpansOf(HISTORY, "1").spans).toEqual([
      { role: "champion", fromMs: T(1), toMs: T(4), endedBy: "promote" },
      { role: "v1_backtest", fromMs: T(1), toMs: null, endedBy: null },
      { role: "previous_champion", fromMs: T(4), toMs: T(7), endedBy: "rollback" },
      { role: "champion", fromMs: T(7), toMs: null, endedBy: null },
    ]);
    expect(roleSpansOf(HISTORY, "2").spans).toEqual([
      { role: "candidate", fromMs: T(2), toMs: T(3), endedBy: "take_slot" },
      { role: "challenger", fromMs: T(3), toMs: T(4), endedBy: "promote" },
      { role: "champion", fromMs: T(4), toMs: T(7), endedBy: "rollback" },
    ]);
    expect(roleSpansOf(HISTORY, "9").spans).toEqual([]);
  });
});

describe("versionCard", () => {
  let dir: string;
  let modelsDir: string;
  let conn: Connection;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mlq-card-"));
    modelsDir = join(dir, "models");
    conn = openMigrated(join(dir, "bot.db"), { create: true });
    saveModelSet(modelsDir, 1, { models: fakeModels(1), manifest: manifestInput }, { gitSha: "abc123" });
    saveModelSet(modelsDir, 2, { models: fakeModels(2), manifest: FULL });
    saveModelSet(modelsDir, 3, { models: fakeModels(3), manifest: { ...FULL, slippageMult: 1.6, params: { ...FULL.params, eta: 0.05 } } });
    appendRoleEvents(conn, HISTORY);
  });
  afterEach(() => {
    conn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows window, rows per symbol, gates, slippage_mult, hyperparameters, metrics, importances ranked, sha256s and roles", () => {
    const card = readVersionCard(conn, modelsDir, "2");
    expect(card).toMatchObject({
      version: "2",
      runId: 2,
      trigger: "scheduled",
      integrity: "verified",
      dataWindow: {
        trainEndMs: T(-48),
        testStartMs: T(-24),
        testEndMs: T(0),
        trainedThroughMs: T(0),
        embargoHours: 24,
        symbols: ["BTC-USDT", "ETH-USDT"],
      },
      rowCounts: { train: 700, test: 250, purged: 3 },
      rowsBySymbol: [
        { symbol: "BTC-USDT", candles: 600, rows: 500, train: 360, test: 130 },
        { symbol: "ETH-USDT", candles: 600, rows: 450, train: 340, test: 120 },
      ],
      gates: [{ name: "trade_count", passed: true, value: 80, threshold: 75, details: "80 closed trades" }],
      slippageMult: 1.8,
      hyperparameters: { rounds: 100, max_depth: 4, eta: 0.1 },
      // NaN in the manifest is written as null and stays null.
      metrics: { direction: { auc: 0.61, accuracy: 0.55, logLoss: 0.68 }, price: { r2: null } },
      roles: { current: [], barred: true },
    });
    expect(card.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(card.files.map((f) => f.model)).toEqual(["direction", "risk", "price", "momentum", "volatility"]);
    expect(card.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
    const direction = card.importance!.models.find((m) => m.model === "direction")!;
    expect(direction.features).toEqual([
      { feature: "ret_5", importance: 0.011, std: 0.001, rank: 1 },
      { feature: "ret_1", importance: 0.002, std: null, rank: 2 },
      { feature: "atr_14", importance: -0.0004, std: null, rank: 3 },
      { feature: "rsi_14", importance: null, std: null, rank: null },
    ]);
    expect(card.roles.spans.map((s) => s.role)).toEqual(["candidate", "challenger", "champion"]);
    // The events that name it, also as the version replaced.
    expect(card.roles.events.map((e) => e.event)).toEqual(["register", "take_slot", "promote", "rollback"]);
    expect(card.roles.events[3]!.role).toBe("1 took champion");
  });

  it("an older manifest without importance, gates or per-symbol rows: none recorded, not an error", () => {
    const card = readVersionCard(conn, modelsDir, "1");
    expect(card.importance).toBeNull();
    expect(card.gates).toBeNull();
    expect(card.rowsBySymbol).toBeNull();
    expect(card.dataWindow.trainedThroughMs).toBeNull();
    expect(card.codeVersion).toContain("(abc123)");
    expect(card.roles.current).toEqual(["champion", "v1_backtest"]);
  });

  it("a damaged model file: the card is still shown, with the failed check as its integrity line", () => {
    writeFileSync(join(modelsDir, "3", "price.xgb"), "tampered");
    const card = readVersionCard(conn, modelsDir, "3");
    expect(card.integrity).toMatch(/price\.xgb has 8 bytes, manifest says/);
    expect(card.roles.current).toEqual(["challenger"]);
  });

  it("an unknown or unsafe version is a one-line InputDataError", () => {
    expect(() => readVersionCard(conn, modelsDir, "42")).toThrow(InputDataError);
    expect(() => readVersionCard(conn, modelsDir, "42")).toThrow(/model version 42 not found in/);
    expect(() => readVersionCard(conn, modelsDir, "../1")).toThrow();
  });

  it("without a database: the manifest part alone, no roles", () => {
    expect(readVersionCard(null, modelsDir, "2").roles).toEqual({ current: [], barred: false, spans: [], events: [] });
  });
});

describe("diffVersionCards", () => {
  let dir: string;
  let modelsDir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mlq-diff-"));
    modelsDir = join(dir, "models");
    saveModelSet(modelsDir, 1, { models: fakeModels(1), manifest: manifestInput });
    saveModelSet(modelsDir, 2, { models: fakeModels(2), manifest: FULL });
    saveModelSet(modelsDir, 3, {
      models: fakeModels(3),
      manifest: {
        ...FULL,
        metrics: { direction: { auc: 0.65, accuracy: 0.55 } },
        slippageMult: 1.5,
        featureImportance: {
          ...(FULL["featureImportance"] as object),
          models: { direction: { loss: "log_loss", baseline_loss: 0.6, importance: { ret_1: 0.02, ret_5: 0.01 } } },
        },
      },
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const card = (v: string) => readVersionCard(null, modelsDir, v);

  it("metrics and importances side by side with b − a and both ranks; only the settings that differ", () => {
    const d = diffVersionCards(card("2"), card("3"));
    expect(d.metrics.find((r) => r.key === "direction.auc")).toMatchObject({ a: 0.61, b: 0.65 });
    expect(d.metrics.find((r) => r.key === "direction.auc")!.delta).toBeCloseTo(0.04, 12);
    expect(d.metrics.find((r) => r.key === "direction.logLoss")).toEqual({ key: "direction.logLoss", a: 0.68, b: null, delta: null });
    expect(d.importance!.filter((r) => r.model === "direction").slice(0, 2)).toEqual([
      { model: "direction", feature: "ret_1", a: 0.002, b: 0.02, delta: 0.02 - 0.002, rankA: 2, rankB: 1 },
      { model: "direction", feature: "ret_5", a: 0.011, b: 0.01, delta: 0.01 - 0.011, rankA: 1, rankB: 2 },
    ]);
    expect(d.settings).toEqual([{ key: "slippage_mult", a: 1.8, b: 1.5, delta: 1.5 - 1.8 }]);
    expect(d.rows.find((r) => r.key === "rows.BTC-USDT.train")).toEqual({ key: "rows.BTC-USDT.train", a: 360, b: 360, delta: 0 });
    expect(d.importanceMissing).toEqual([]);
  });

  it("against a version without importance: says which one, keeps the other's values", () => {
    const d = diffVersionCards(card("1"), card("2"));
    expect(d.importanceMissing).toEqual(["1"]);
    expect(d.importance!.find((r) => r.feature === "ret_5" && r.model === "direction")).toMatchObject({ a: null, b: 0.011, delta: null });
    expect(d.windows.find((r) => r.key === "window.trainEndMs")).toMatchObject({ a: null, b: T(-48) });
  });
});
