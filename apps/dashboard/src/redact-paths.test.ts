import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { HIDDEN_PATH, redactPaths } from "./redact-paths.js";

const H = HIDDEN_PATH;

describe("redactPaths", () => {
  it("hides every string under a path-named key, at any depth", () => {
    const report = {
      dbPath: "data/trading.db",
      activeModelFile: { path: "/srv/mlq/models/active_model.json", state: "ok", content: { version_dir: "models/7", arm: "v2_paper" } },
      retrainRuns: [{ id: 1, modelDir: "/srv/mlq/models/1", trainingRows: 40_000 }],
      calibration: { outputPath: null, tradesAnalyzed: 3 },
    };
    expect(redactPaths(report)).toEqual({
      dbPath: H,
      activeModelFile: { path: H, state: "ok", content: { version_dir: H, arm: "v2_paper" } },
      retrainRuns: [{ id: 1, modelDir: H, trainingRows: 40_000 }],
      calibration: { outputPath: null, tradesAnalyzed: 3 },
    });
  });

  it.each([
    ["ticks table missing in /data/blofin.db", `ticks table missing in ${H}`],
    ["reading /data/blofin.db: SQLITE_CORRUPT", `reading ${H}: SQLITE_CORRUPT`],
    ["cannot write C:\\mlq\\out.json: EPERM", `cannot write ${H}: EPERM`],
    ["models directory ~/mlq/models is not writable (EACCES)", `models directory ${H} is not writable (EACCES)`],
    ["open(/tmp/x.db) failed", `open(${H}) failed`],
  ])("hides absolute paths inside messages: %s", (message, expected) => {
    expect(redactPaths({ problems: [message] })).toEqual({ problems: [expected] });
  });

  it("hides the configured paths (as given and resolved), also when relative", () => {
    const known = ["data/trading.db", "models"];
    expect(
      redactPaths(["database not found: data/trading.db", `database not found: ${resolve("data/trading.db")}`, "data/trading.db"], known),
    ).toEqual([`database not found: ${H}`, `database not found: ${H}`, H]);
    expect(redactPaths("model file models/3/risk.xgb is truncated", known)).toBe(`model file ${H} is truncated`);
  });

  it("leaves prose, ratios and numbers alone", () => {
    const value = {
      decisionReason: "Sharpe_B 0.09 >= Sharpe_A 0.05 with P=0.95",
      recommendations: ["1 trade without a usable signal/fill pair", "5 models trained; slippage 1.5× in 12-18 UTC"],
      details: "Vol range [2.91, 68.60] vs 20th–80th [23.92, 35.83]",
      n: 3,
      ok: true,
      none: null,
    };
    expect(redactPaths(value, ["models"])).toEqual(value);
  });

  it("does not modify its input", () => {
    const input = { dbPath: "/x.db", problems: ["in /x.db"] };
    redactPaths(input);
    expect(input).toEqual({ dbPath: "/x.db", problems: ["in /x.db"] });
  });
});
