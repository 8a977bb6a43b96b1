import { chmodSync, mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger, formatJobLogLine, jobLogger } from "./index.js";
import type { LoggableJob } from "./index.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "mlq-logger-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function readJsonLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("createLogger", () => {
  it("writes JSON lines with level, message, timestamp and fields to <logsDir>/<name>.log", async () => {
    const dir = tempDir();
    const log = createLogger({ name: "unit", logsDir: dir, level: "info", console: false });
    log.info("hello", { rows: 3 });
    log.debug("hidden below info");
    log.error("boom", { err: Object.assign(new Error("disk full"), { code: "ENOSPC" }) });
    await log.close();
    expect(log.filePath).toBe(join(dir, "unit.log"));
    const lines = readJsonLines(join(dir, "unit.log"));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: "info", message: "hello", rows: 3, app: "unit" });
    expect(typeof lines[0]!.timestamp).toBe("string");
    expect(lines[1]).toMatchObject({ level: "error", message: "boom", err: { message: "disk full", code: "ENOSPC" } });
  });

  it("child loggers add their fields to every line and keep the parent's", async () => {
    const dir = tempDir();
    const log = createLogger({ name: "child", logsDir: dir, console: false });
    log.child({ queue: "retrain" }).child({ jobId: "j1" }).warn("slow", { ms: 5 });
    await log.close();
    const [line] = readJsonLines(join(dir, "child.log"));
    expect(line).toMatchObject({ level: "warn", message: "slow", queue: "retrain", jobId: "j1", ms: 5, app: "child" });
  });

  it("gives a second live process on this host its own file, takes over a dead process's claim, and shares within one process", async () => {
    const dir = tempDir();
    const owner = (f: string) => join(dir, `${f}.owner`);
    // Another process of this host holds worker-train.log: a live `sleep` stands in for it.
    const other = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      writeFileSync(owner("worker-train.log"), `${hostname()} ${other.pid}`);
      const second = createLogger({ name: "worker-train", logsDir: dir, console: false });
      expect(second.filePath).toBe(join(dir, "worker-train-2.log"));
      expect(readFileSync(owner("worker-train-2.log"), "utf8")).toBe(`${hostname()} ${process.pid}`);
      // Another logger of the same app in this process shares the file, as before.
      const same = createLogger({ name: "worker-train", logsDir: dir, console: false });
      expect(same.filePath).toBe(second.filePath);
      second.info("mine");
      await second.close();
      expect(existsSync(owner("worker-train-2.log"))).toBe(true);
      await same.close();
      // The last user gone, the claim is released; the live process's claim is left alone.
      expect(existsSync(owner("worker-train-2.log"))).toBe(false);
      expect(readFileSync(owner("worker-train.log"), "utf8")).toBe(`${hostname()} ${other.pid}`);
      expect(readJsonLines(join(dir, "worker-train-2.log"))[0]).toMatchObject({ message: "mine" });
    } finally {
      other.kill("SIGKILL");
      await new Promise((r) => other.once("exit", r));
    }
    // Its process died without releasing (SIGKILL): the claim is stale and the next process takes the first file.
    const next = createLogger({ name: "worker-train", logsDir: dir, console: false });
    expect(next.filePath).toBe(join(dir, "worker-train.log"));
    await next.close();
    // A claim of another host (a shared log directory) cannot be checked: it is respected.
    writeFileSync(owner("serve.log"), "some-other-host 1");
    const serve = createLogger({ name: "serve", logsDir: dir, console: false });
    expect(serve.filePath).toBe(join(dir, "serve-2.log"));
    await serve.close();
  });

  it("goes console-only with one warning when logsDir is not writable", async () => {
    const parent = tempDir();
    const blocker = join(parent, "not-a-dir");
    writeFileSync(blocker, "x"); // a file where the directory should be: mkdir fails with EEXIST/ENOTDIR
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const log = createLogger({ name: "ro", logsDir: join(blocker, "logs"), console: false });
      log.info("still works");
      const again = createLogger({ name: "ro", logsDir: join(blocker, "logs"), console: false });
      again.info("still works");
      await log.close();
      await again.close();
      expect(log.filePath).toBeNull();
      const warnings = write.mock.calls.map((c) => String(c[0])).filter((s) => s.includes("cannot write logs"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(join(blocker, "logs", "ro.log"));
    } finally {
      write.mockRestore();
    }
  });

  it("does not create a file when logsDir is read-only (unless running as root)", async () => {
    const dir = tempDir();
    chmodSync(dir, 0o500);
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const log = createLogger({ name: "ro2", logsDir: dir, console: false });
      log.info("x");
      await log.close();
      const isRoot = process.getuid?.() === 0;
      expect(existsSync(join(dir, "ro2.log"))).toBe(isRoot);
    } finally {
      write.mockRestore();
      chmodSync(dir, 0o700);
    }
  });

  it("rejects an unknown level with a one-line error", () => {
    expect(() => createLogger({ name: "x", level: "loud" as never })).toThrow(/unknown log level "loud"/);
  });
});

describe("jobLogger", () => {
  function fakeJob(fail = false): LoggableJob & { rows: string[] } {
    const rows: string[] = [];
    return {
      id: "42",
      queueName: "retrain",
      attemptsMade: 1,
      rows,
      log: (row: string) => {
        if (fail) return Promise.reject(new Error("redis down"));
        rows.push(row);
        return Promise.resolve(rows.length);
      },
    };
  }

  it("adds queue, jobId and attempt (attemptsMade + 1) and mirrors lines into job.log", async () => {
    const dir = tempDir();
    const base = createLogger({ name: "w", logsDir: dir, console: false });
    const job = fakeJob();
    const log = jobLogger(base, job, { trigger: "force" });
    log.info("training model", { k: 2, of: 5 });
    log.child({ stage: "gates" }).warn("gate failed");
    log.debug("not mirrored by default");
    await base.close();
    expect(job.rows).toHaveLength(2);
    expect(job.rows[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z info training model \{"k":2,"of":5\}$/);
    expect(job.rows[1]).toMatch(/ warn gate failed$/);
    const lines = readJsonLines(join(dir, "w.log"));
    expect(lines[0]).toMatchObject({ queue: "retrain", jobId: "42", attempt: 2, trigger: "force", k: 2 });
    expect(lines[1]).toMatchObject({ stage: "gates", jobId: "42" });
  });

  it("swallows job.log failures (rejections and throws) and reports them to onMirrorError", async () => {
    const base = createLogger({ name: "w2", console: false });
    const errors: unknown[] = [];
    const log = jobLogger(base, fakeJob(true), {}, { onMirrorError: (e) => errors.push(e) });
    expect(() => log.error("x")).not.toThrow();
    const throwing: LoggableJob = { id: "1", queueName: "q", attemptsMade: 0, log: () => { throw new Error("sync"); } };
    expect(() => jobLogger(base, throwing, {}, { onMirrorError: (e) => errors.push(e) }).info("y")).not.toThrow();
    await new Promise((r) => setImmediate(r));
    expect(errors.map((e) => (e as Error).message).sort()).toEqual(["redis down", "sync"]);
    await base.close();
  });
});

describe("formatJobLogLine", () => {
  it.each([
    ["info", "started", undefined, "2026-01-02T03:04:05.000Z info started"],
    ["error", "failed", { err: new Error("bad") }, '2026-01-02T03:04:05.000Z error failed {"err":"bad"}'],
    ["warn", "empty fields", {}, "2026-01-02T03:04:05.000Z warn empty fields"],
  ] as const)("%s %s", (level, msg, fields, expected) => {
    expect(formatJobLogLine(level, msg, fields, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe(expected);
  });
});
