import { describe, expect, it } from "vitest";
import { searchProgressLine, searchTrainerLine } from "./search-progress.js";

describe("searchProgressLine", () => {
  it.each([
    [
      { total: 10, done: 7, failed: 0, training: 2, waiting: 1, delayed: 0 },
      "search: 7/10 candidates done (2 training, 1 waiting) on the train queue",
    ],
    [{ total: 10, done: 10, failed: 0, training: 0, waiting: 0, delayed: 0 }, "search: 10/10 candidates done on the train queue"],
    [
      { total: 4, done: 1, failed: 1, training: 1, waiting: 0, delayed: 1 },
      "search: 1/4 candidates done (1 training, 1 retrying, 1 failed) on the train queue",
    ],
  ])("%o", (counts, line) => expect(searchProgressLine(counts)).toBe(line));
});

describe("searchTrainerLine", () => {
  it("names the trainer and the distinct hosts, sorted", () => {
    expect(searchTrainerLine("flow", ["b", "a", "b"])).toBe("search: trainer flow, hosts a, b");
    expect(searchTrainerLine("flow", ["a"])).toBe("search: trainer flow, host a");
    expect(searchTrainerLine("in-process", [])).toBe("search: trainer in-process");
  });
});
