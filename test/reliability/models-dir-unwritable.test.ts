// Scenario 4: the models directory cannot be written — before the run starts, and from the
// middle of training on (so the save itself fails). Promise: the run fails cleanly with one
// clear line, its audit row says so, the active pointers and earlier versions are untouched
// byte for byte, no half-built version remains, and the next run after the fix succeeds.
// We run as root, so chmod stops nothing: the directory is made immutable with `chattr +i`;
// where chattr is not permitted (no CAP_LINUX_IMMUTABLE) the directory is moved aside and a
// plain file put in its place, which fails every write below it with ENOTDIR.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "@mlq/config";
import { silentLogger } from "@mlq/core";
import { createProducer, type Producer } from "@mlq/jobs";
import { POINTER_NAMES, listVersions, pointerPath, verifyVersion } from "@mlq/registry";
import { Fixture, REDIS_URL, appEntry, makeDemoDb, waitFor } from "./support.js";

let fx: Fixture;
let producer: Producer | undefined;
beforeEach(() => {
  fx = new Fixture();
});
afterEach(async () => {
  await producer?.stop();
  producer = undefined;
  await fx.cleanup();
});

/** Makes `modelsDir` unwritable; returns how, and the function that undoes it. */
function makeUnwritable(modelsDir: string): { how: string; undo: () => void } {
  const dirs = [modelsDir, join(modelsDir, "pointers")];
  try {
    execFileSync("chattr", ["+i", ...dirs], { stdio: "pipe" });
    return { how: "chattr +i", undo: () => execFileSync("chattr", ["-i", ...dirs], { stdio: "pipe" }) };
  } catch {
    const aside = `${modelsDir}.aside`;
    renameSync(modelsDir, aside);
    writeFileSync(modelsDir, "not a directory\n");
    return {
      how: "file in place of the directory (ENOTDIR)",
      undo: () => {
        rmSync(modelsDir, { force: true });
        renameSync(aside, modelsDir);
      },
    };
  }
}

function snapshotPointers(modelsDir: string): Record<string, string | null> {
  return Object.fromEntries(
    POINTER_NAMES.map((name) => {
      const path = pointerPath(modelsDir, name);
      return [name, existsSync(path) ? readFileSync(path, "utf8") : null];
    }),
  );
}

describe("unwritable models directory", () => {
  it("fails the retrain with one clear line and leaves pointers and versions untouched", async () => {
    const env = fx.mlqEnv({ MLQ_XGB_ROUNDS: "40", MLQ_RETRY_ATTEMPTS: "1" });
    const modelsDir = env.MLQ_MODELS_DIR!;
    await makeDemoDb(env.MLQ_DB_PATH!);
    const worker = fx.spawnNode("worker-retrain", appEntry("worker-retrain"), [], env);
    await waitFor("the worker", () => (worker.output().includes("worker for queue retrain started") ? true : undefined));
    producer = createProducer({ redisUrl: REDIS_URL, prefix: fx.prefix, config: loadConfig(env), logger: silentLogger });
    const p = producer;

    const first = await p.waitForJob("retrain", (await p.enqueue("retrain", { trigger: "force" })).jobId, { timeoutMs: 90_000 });
    expect(first.outcome).toBe("trained");
    const pointersBefore = snapshotPointers(modelsDir);
    expect(pointersBefore.v1_backtest).not.toBeNull(); // the first set: champion and baseline

    // (a) Unwritable before the run: refused before any training.
    let guard = makeUnwritable(modelsDir);
    fx.onCleanup(() => guard.undo());
    const early = (await p.enqueue("retrain", { trigger: "force" })).jobId;
    const earlyError = await p.waitForJob("retrain", early, { timeoutMs: 60_000 }).then(() => "completed?!", (err: Error) => err.message);
    guard.undo();
    expect(earlyError).toMatch(/^models directory \S+ is not writable: (EPERM|ENOTDIR)$/);

    // (b) Unwritable from the middle of training on: the save itself fails.
    const late = (await p.enqueue("retrain", { trigger: "force" })).jobId;
    await waitFor("the retrain to be training", async () => ((await p.getJob(late))?.progress as { stage?: string } | undefined)?.stage === "train" ? true : undefined);
    guard = makeUnwritable(modelsDir);
    const lateError = await p.waitForJob("retrain", late, { timeoutMs: 90_000 }).then(() => "completed?!", (err: Error) => err.message);
    const unwritableHow = guard.how;
    guard.undo();
    expect(lateError).toMatch(/^cannot write model version \S+: (EPERM|ENOTDIR)$/);

    expect(snapshotPointers(modelsDir)).toEqual(pointersBefore);
    expect(listVersions(modelsDir).map((v) => v.version)).toEqual([String(first.runId)]);
    verifyVersion(modelsDir, String(first.runId));
    expect(readdirSync(modelsDir).filter((f) => f.startsWith(".tmp-"))).toEqual([]);

    const db = new Database(env.MLQ_DB_PATH!, { readonly: true });
    const rows = db.prepare("SELECT job_id, success, status, error_msg FROM phase2_retrain_runs ORDER BY id").all() as {
      job_id: string;
      success: number;
      status: string;
      error_msg: string | null;
    }[];
    db.close();
    expect(rows.map((r) => [r.success, r.status])).toEqual([
      [1, "done"],
      [0, "failed"],
      [0, "failed"],
    ]);
    expect(rows[1]!.error_msg).toBe(earlyError);
    expect(rows[2]!.error_msg).toBe(lateError);

    // Once the directory is writable again, the next run succeeds and takes the evaluation slot normally.
    const again = await p.waitForJob("retrain", (await p.enqueue("retrain", { trigger: "force" })).jobId, { timeoutMs: 90_000 });
    expect(again.outcome).toBe("trained");
    expect(JSON.parse(readFileSync(pointerPath(modelsDir, "v2_paper"), "utf8")).version).toBe(String(again.runId));
    expect(JSON.parse(readFileSync(pointerPath(modelsDir, "v1_backtest"), "utf8")).version).toBe(String(first.runId));

    console.log(`[reliability] unwritable models dir (${unwritableHow}): before the run -> "${earlyError}"; mid-training -> "${lateError}"`);
  });
});
