import { describe, expect, it } from "vitest";
import { MlqError } from "@mlq/core";
import { XGBOOST_GLUE_PATH } from "./booster.js";
import type { TrainTask } from "./train-task.js";
import { runTrainTasksInWorkers, workerSource } from "./worker-pool.js";
import type { XgbObjective } from "./xgboost-binding.js";

const rows = 200;
const cols = 2;
const X = Float32Array.from({ length: rows * cols }, (_, i) => (i % 7) / 7);
const y = Float32Array.from({ length: rows }, (_, r) => X[r * cols] ?? 0);
const task = (name: string, objective: string): TrainTask => ({
  name,
  objective: objective as XgbObjective,
  params: { rounds: 3, maxDepth: 2, eta: 0.3, treeMethod: "hist" },
  X,
  y,
  rows,
  cols,
  Xtest: X.subarray(0, 4 * cols),
  testRows: 4,
});

describe("runTrainTasksInWorkers", () => {
  it("returns results in task order whatever order the workers finish in", async () => {
    const done: string[] = [];
    const results = await runTrainTasksInWorkers([task("a", "reg:linear"), task("b", "reg:linear"), task("c", "binary:logistic")], {
      threads: 2,
      gluePath: XGBOOST_GLUE_PATH,
      onResult: (r, k, total) => done.push(`${k}/${total}`),
    });
    expect(results.map((r) => r.name)).toEqual(["a", "b", "c"]);
    expect(done).toEqual(["1/3", "2/3", "3/3"]);
    expect(results[0]?.testPredictions).toHaveLength(4);
  });

  it("reports an XGBoost failure inside a worker as an MlqError naming the model", async () => {
    const failure = await runTrainTasksInWorkers([task("fine", "reg:linear"), task("broken", "reg:no-such-objective")], {
      threads: 2,
      gluePath: XGBOOST_GLUE_PATH,
    }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(MlqError);
    expect((failure as MlqError).code).toBe("XGBOOST_WASM");
    expect((failure as Error).message).toMatch(
      /^model broken: XGBoost WebAssembly failed while training reg:no-such-objective on 200 rows x 2 features/,
    );
  });

  it("reports a worker that cannot load the wasm glue as an MlqError", async () => {
    const attempt = runTrainTasksInWorkers([task("a", "reg:linear")], { threads: 1, gluePath: "/nonexistent/xgboost.js" });
    await expect(attempt).rejects.toThrow(MlqError);
    await expect(attempt).rejects.toThrow(/model a: .*Cannot find module '\/nonexistent\/xgboost.js'/);
  });

  it("builds worker source that embeds the binding functions, not references to module scope", () => {
    const source = workerSource("/x/glue.js");
    expect(source).toContain("const createXgbBinding = function createXgbBinding(");
    expect(source).toContain('const gluePath = "/x/glue.js"');
    expect(source).not.toMatch(/__vi_|__vite_ssr|import\(/);
  });
});
