// `mlq models` as an operator meets it: the versions with their roles, the role history, and the
// operator's reject / pin / unpin recorded in it and mirrored in the pointer files.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openMigrated } from "@mlq/db";
import { fillEvaluationSlot, readPointer, registerVersion, saveModelSet, syncRoleFiles } from "@mlq/registry";
import { E2eFixture, STAND_IN_MANIFEST, standInModels } from "./support.js";

const models = standInModels;
const manifest = STAND_IN_MANIFEST;

describe("mlq models", () => {
  let fx: E2eFixture;
  beforeEach(() => {
    fx = new E2eFixture();
    for (const v of [1, 2, 3]) saveModelSet(fx.modelsDir, v, { models: models(v), manifest });
    const conn = openMigrated(fx.dbPath, { create: true });
    try {
      for (const [v, t] of [
        ["1", 1000],
        ["2", 2000],
      ] as const)
        registerVersion(conn, fx.modelsDir, { version: v, runId: Number(v), trigger: "scheduled", nowMs: t });
      fillEvaluationSlot(conn, { nowMs: 3000, allocate: () => 0.05 });
      registerVersion(conn, fx.modelsDir, { version: "3", runId: 3, trigger: "force", nowMs: 4000 });
      syncRoleFiles(conn, fx.modelsDir, { debug() {}, info() {}, warn() {}, error() {} });
    } finally {
      conn.close();
    }
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it("lists versions with their roles, rejects the challenger, pins and unpins the champion, and shows it all in the history", async () => {
    const list = await fx.cli(["models", "list", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    const roles = Object.fromEntries(
      (JSON.parse(list.stdout) as { versions: { version: string; roles: string[] }[] }).versions.map((v) => [v.version, v.roles]),
    );
    expect(roles).toEqual({ "1": ["champion", "v1_backtest"], "2": ["challenger"], "3": ["candidate"] });

    const reject = await fx.cli(["models", "reject", "2", "--reason", "looks off"]);
    expect(reject.code, reject.stderr).toBe(0);
    expect(reject.stdout).toBe("reject 2: operator: looks off\n");
    const notHeld = await fx.cli(["models", "reject", "1"]);
    expect(notHeld.code).toBe(1);
    expect(notHeld.stderr).toMatch(/^mlq: version 1 is neither the challenger nor a waiting candidate/m);

    expect((await fx.cli(["models", "pin", "1", "--reason", "holiday"])).code).toBe(0);
    const pinned = await fx.cli(["models", "list"]);
    expect(pinned.stdout).toContain("champion 1 is pinned");
    expect((await fx.cli(["models", "unpin"])).stdout).toBe("champion 1 is not pinned\n");

    const history = await fx.cli(["models", "history", "--json"]);
    const events = (JSON.parse(history.stdout) as { event: string; version: string }[]).map((e) => `${e.event}:${e.version}`);
    expect(events).toEqual(["register:1", "register:2", "take_slot:2", "register:3", "reject:2", "pin:1", "unpin:1"]);
    expect(readPointer(fx.modelsDir, "candidate")?.version).toBe("3");
  });

  it("shows a version's card and compares two versions; a version trained before importance says none recorded", async () => {
    saveModelSet(fx.modelsDir, 4, {
      models: models(4),
      manifest: {
        ...manifest,
        metrics: { direction: { auc: 0.6 } },
        extra: { runId: 4, trigger: "force", rowsBySymbol: { "BTC-USDT": { candles: 90, rows: 80, dropped: 10, train: 50, test: 20 } } },
        featureImportance: {
          method: "permutation",
          split: "test",
          sample_rows: 20,
          repeats: 1,
          seed: 1,
          stream: "importance",
          models: { direction: { loss: "log_loss", baseline_loss: 0.69, importance: { ret_1: 0.004 } } },
        },
      },
    });
    const show = await fx.cli(["models", "show", "4"]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain("version 4  (retrain run 4, trigger force)");
    expect(show.stdout).toMatch(/BTC-USDT\s+90\s+80\s+50\s+20/);
    expect(show.stdout).toMatch(/1\s+ret_1\s+0\.004\s+—\s+█+/);
    const old = await fx.cli(["models", "show", "1"]);
    expect(old.code, old.stderr).toBe(0);
    expect(old.stdout).toContain("feature importance: none recorded");
    expect(old.stdout).toMatch(/champion\s+1970-01-01T00:00:01\.000Z\s+now/);

    const diff = await fx.cli(["models", "diff", "1", "4", "--json"]);
    expect(diff.code, diff.stderr).toBe(0);
    const d = JSON.parse(diff.stdout) as { importanceMissing: string[]; importance: { feature: string; a: number | null; b: number }[] };
    expect(d.importanceMissing).toEqual(["1"]);
    expect(d.importance).toEqual([{ model: "direction", feature: "ret_1", a: null, b: 0.004, delta: null, rankA: null, rankB: 1 }]);

    const missing = await fx.cli(["models", "show", "99"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mlq: model version 99 not found in /m);
  });

  it("says so when the history is empty", async () => {
    const empty = new E2eFixture();
    openMigrated(empty.dbPath, { create: true }).close();
    try {
      const r = await empty.cli(["models", "history"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("the role history is empty");
    } finally {
      await empty.cleanup();
    }
  });
});
