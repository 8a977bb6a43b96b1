import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputDataError, OutputError } from "@mlq/core";
import { loadConfig } from "@mlq/config";
import { checkInputStage, checkModelsDirStage } from "./check-stages.js";
import { botDbLacking, retrainFixture, stageContext, type RetrainFixture } from "./retrain.test-util.js";

let fx: RetrainFixture;
beforeEach(() => {
  fx = retrainFixture();
});
afterEach(() => fx.dispose());

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a throw");
}

describe("checkInputStage", () => {
  it("passes on a database with the bot's full schema", () => {
    expect(checkInputStage.run(stageContext(fx))).toBeUndefined();
  });

  it.each([
    ["paper_trades lacks opened_ts_ms", { paperTrades: ["opened_ts_ms"] }, "paper_trades.opened_ts_ms"],
    ["ticks lacks price", { ticks: ["price"] }, "ticks.price"],
    ["both lack a column (ticks is checked first)", { paperTrades: ["opened_ts_ms"], ticks: ["price"] }, "ticks.price"],
  ])("answers '<table>.<column> column missing in <path>' when %s", (_label, lacking, column) => {
    const conn = botDbLacking(fx.dir, lacking);
    try {
      const err = thrown(() => checkInputStage.run({ ...stageContext(fx), conn }));
      expect(err).toBeInstanceOf(InputDataError);
      expect((err as InputDataError).retryable).toBe(false);
      expect(err.message).toBe(`${column} column missing in ${conn.path}`);
    } finally {
      conn.close();
    }
  });

  it("names a missing ticks table", () => {
    fx.conn.sqlite.exec("DROP TABLE ticks");
    expect(thrown(() => checkInputStage.run(stageContext(fx))).message).toBe(`ticks table missing in ${fx.conn.path}`);
  });
});

describe("checkModelsDirStage", () => {
  it("is skipped on a dry run only", () => {
    expect(checkModelsDirStage.skip?.(stageContext(fx, { trigger: "dry-run" }))).toBe(true);
    expect(checkModelsDirStage.skip?.(stageContext(fx, { trigger: "force" }))).toBe(false);
  });

  it("creates a writable models dir, and fails with OutputError naming the path when it cannot", () => {
    expect(checkModelsDirStage.run(stageContext(fx))).toBeUndefined();
    const blocker = join(fx.dir, "a-file");
    writeFileSync(blocker, "not a directory");
    const ctx = {
      ...stageContext(fx),
      modelsDir: join(blocker, "models"),
      config: loadConfig({ MLQ_MODELS_DIR: join(blocker, "models") }),
    };
    const err = thrown(() => checkModelsDirStage.run(ctx));
    expect(err).toBeInstanceOf(OutputError);
    expect(err.message).toContain("a-file");
  });
});
