import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { trainWorkerProcesses, trainWorkersArg } from "./up.js";

describe("trainWorkersArg", () => {
  it.each([
    ["0", 0],
    ["1", 1],
    ["16", 16],
  ])("accepts %s", (v, n) => expect(trainWorkersArg(v)).toBe(n));

  it.each(["-1", "1.5", "two", "", " ", "257", "1e9"])("refuses %j with a usage error", (v) => {
    expect(() => trainWorkersArg(v)).toThrow(UsageError);
    expect(() => trainWorkersArg(v)).toThrow(/--train-workers expects an integer from 0 to 256/);
  });
});

describe("trainWorkerProcesses", () => {
  it("gives each worker-train its own key and log directory", () => {
    expect(trainWorkerProcesses(2, "/var/lib/mlq/logs")).toEqual([
      { key: "worker-train#1", app: "worker-train", env: { MLQ_LOGS_DIR: join("/var/lib/mlq/logs", "worker-train-1") } },
      { key: "worker-train#2", app: "worker-train", env: { MLQ_LOGS_DIR: join("/var/lib/mlq/logs", "worker-train-2") } },
    ]);
    expect(trainWorkerProcesses(0, "logs")).toEqual([]);
  });
});
