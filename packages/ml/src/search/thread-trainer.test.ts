// The long-lived training thread a worker-train host uses: the same predictions as the in-process
// trainer, tasks one after another on one thread, and an abort that stops the running task without
// breaking the next one.
import { describe, expect, it } from "vitest";
import { AbortedError } from "@mlq/core";
import { MODEL_NAMES } from "../train/model-set.js";
import { inProcessCandidateTrainer, threadCandidateTrainer, type CandidateData, type CandidateSpec } from "./candidate-trainer.js";

function data(rows = 400, validationRows = 100, cols = 4): CandidateData {
  let s = 11;
  const r = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  const X = Float32Array.from({ length: rows * cols }, r);
  const labels = Object.fromEntries(
    MODEL_NAMES.map((m) => [
      m,
      Float32Array.from({ length: rows }, (_, i) => (m === "direction" ? (X[i * cols]! > 0.5 ? 1 : 0) : X[i * cols + 1]! - 0.5)),
    ]),
  ) as CandidateData["labels"];
  return { cols, rows, X, labels, validationRows, Xvalidation: Float32Array.from({ length: validationRows * cols }, r) };
}

const spec = (model: CandidateSpec["model"], candidate: number, rounds = 5): CandidateSpec => ({
  key: `${model}-${candidate}`,
  model,
  candidate,
  params: { rounds, maxDepth: 3, eta: 0.3, treeMethod: "hist", seed: 42 },
});

describe("threadCandidateTrainer", () => {
  it("trains on one long-lived thread with the in-process trainer's predictions, call after call", async () => {
    const d = data();
    const specs = [spec("direction", 0), spec("risk", 1), spec("volatility", 2)];
    const trainer = threadCandidateTrainer({ host: "h" });
    try {
      const first = await trainer.train(d, specs.slice(0, 2));
      const second = await trainer.train(d, specs.slice(2));
      const expected = await inProcessCandidateTrainer({ threads: 0 }).train(d, specs);
      expect([...first, ...second].map((o) => [o.key, o.host, Array.from(o.predictions)])).toEqual(
        expected.map((o) => [o.key, "h", Array.from(o.predictions)]),
      );
      expect(trainer.kind).toBe("thread");
    } finally {
      await trainer.close();
    }
  });

  it("an abort stops the running task (the thread is terminated) and the next task starts a new thread", async () => {
    const d = data(20_000, 100, 6);
    const trainer = threadCandidateTrainer({ host: "h" });
    try {
      const ctl = new AbortController();
      const running = trainer.train(d, [spec("direction", 0, 2_000)], { signal: ctl.signal });
      setTimeout(() => ctl.abort(new Error("cancelled by operator")), 50);
      await expect(running).rejects.toThrow(AbortedError);
      await expect(running).rejects.toThrow("training aborted: cancelled by operator");
      const [after] = await trainer.train(data(), [spec("risk", 0)]);
      expect(after!.predictions).toHaveLength(100);
    } finally {
      await trainer.close();
    }
  });
});
