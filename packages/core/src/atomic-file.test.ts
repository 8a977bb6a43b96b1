import * as fs from "node:fs";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { OutputError } from "./errors.js";
import { writeFileAtomic } from "./atomic-file.js";

// The real node:fs, with the calls writeFileAtomic makes recorded (and failable one call at a time).
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  return {
    ...real,
    openSync: vi.fn(real.openSync),
    writeSync: vi.fn(real.writeSync),
    fsyncSync: vi.fn(real.fsyncSync),
    closeSync: vi.fn(real.closeSync),
    renameSync: vi.fn(real.renameSync),
  };
});
const spy = {
  openSync: vi.mocked(fs.openSync),
  writeSync: vi.mocked(fs.writeSync),
  fsyncSync: vi.mocked(fs.fsyncSync),
  renameSync: vi.mocked(fs.renameSync),
};
const realFs = await vi.importActual<typeof fs>("node:fs");
const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-atomic-"));
  vi.clearAllMocks();
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("writeFileAtomic", () => {
  it("creates a file, then replaces its contents, leaving no temp file", () => {
    const path = join(dir, "pointer.json");
    writeFileAtomic(path, '{"v":1}');
    writeFileAtomic(path, new Uint8Array([0x7b, 0x7d]));
    expect(readFileSync(path, "utf8")).toBe("{}");
    expect(readdirSync(dir)).toEqual(["pointer.json"]);
  });

  it("replaces by rename, so a reader that opened the old file still reads all of it", () => {
    const path = join(dir, "model.json");
    const old = "old ".repeat(10_000);
    writeFileSync(path, old);
    const inode = statSync(path).ino;
    const fd = openSync(path, "r");
    try {
      writeFileAtomic(path, "new");
      const buf = Buffer.alloc(old.length + 10);
      expect(readSync(fd, buf, 0, buf.length, 0)).toBe(old.length);
      expect(buf.subarray(0, old.length).toString()).toBe(old);
    } finally {
      closeSync(fd);
    }
    expect(statSync(path).ino).not.toBe(inode);
    expect(readFileSync(path, "utf8")).toBe("new");
  });

  it("fsyncs the temp file before the rename and the directory after it", () => {
    const path = join(dir, "a.json");
    writeFileAtomic(path, "x");
    // One timeline of the calls that matter, in call order.
    const events = [
      ...spy.openSync.mock.calls.map(([p], i) => ({
        at: spy.openSync.mock.invocationCallOrder[i]!,
        what: `open ${String(p) === dir ? "dir" : String(p).endsWith(".tmp") ? "tmp" : String(p)} -> fd ${String(spy.openSync.mock.results[i]!.value)}`,
      })),
      ...spy.fsyncSync.mock.calls.map(([fd], i) => ({ at: spy.fsyncSync.mock.invocationCallOrder[i]!, what: `fsync fd ${fd}` })),
      ...spy.renameSync.mock.calls.map((_c, i) => ({ at: spy.renameSync.mock.invocationCallOrder[i]!, what: "rename" })),
    ]
      .sort((a, b) => a.at - b.at)
      .map((e) => e.what.replace(/fd (\d+)/, "fd"));
    expect(events).toEqual(["open tmp -> fd", "fsync fd", "rename", "open dir -> fd", "fsync fd"]);
    const fds = [...spy.openSync.mock.results.map((r) => r.value as number)];
    expect(spy.fsyncSync.mock.calls.map(([fd]) => fd)).toEqual(fds); // each fsync is of the file just opened
    expect(spy.renameSync.mock.calls[0]).toEqual([expect.stringMatching(/\/\.a\.json\.\d+\.[0-9a-f]{8}\.tmp$/), path]);
  });

  it("leaves the old file whole and no temp file when a write fails midway (disk full)", () => {
    const path = join(dir, "calibration.json");
    writeFileSync(path, "previous");
    const fail = () => {
      // A short write: 3 bytes land in the temp file…
      spy.writeSync.mockImplementationOnce(((fd: number, buf: Uint8Array) => realFs.writeSync(fd, buf, 0, 3)) as typeof fs.writeSync);
      spy.writeSync.mockImplementationOnce(() => {
        throw errno("ENOSPC"); // …then the disk is full
      });
    };
    fail();
    expect(() => writeFileAtomic(path, "the new contents")).toThrow(OutputError);
    fail();
    expect(() => writeFileAtomic(path, "the new contents")).toThrow(`cannot write ${path}: ENOSPC`);
    expect(readFileSync(path, "utf8")).toBe("previous");
    expect(readdirSync(dir)).toEqual(["calibration.json"]);
    expect(spy.renameSync).not.toHaveBeenCalled();
  });

  it("leaves the old file and no temp file when fsync fails", () => {
    const path = join(dir, "p.json");
    writeFileSync(path, "previous");
    spy.fsyncSync.mockImplementationOnce(() => {
      throw errno("EIO");
    });
    expect(() => writeFileAtomic(path, "new")).toThrow(`cannot write ${path}: EIO`);
    expect(readFileSync(path, "utf8")).toBe("previous");
    expect(readdirSync(dir)).toEqual(["p.json"]);
  });

  it.each([
    ["the directory does not exist", () => join(dir, "missing", "x.json"), "ENOENT"],
    ["the parent is a regular file", () => (writeFileSync(join(dir, "file"), ""), join(dir, "file", "x.json")), "ENOTDIR"],
    ["the target is a directory (rename fails)", () => (mkdirSync(join(dir, "x.json")), join(dir, "x.json")), "EISDIR"],
  ])("throws a one-line OutputError naming the path when %s, and leaves no temp file", (_name, target, code) => {
    const path = target();
    const before = readdirSync(dir).sort();
    let err: unknown;
    try {
      writeFileAtomic(path, "data");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutputError);
    expect((err as OutputError).message).toBe(`cannot write ${path}: ${code}`);
    expect((err as OutputError).context).toEqual({ path });
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it("property: after any sequence of writes, some failing at any step, the file holds the last successful write and no temp file", () => {
    const failable = fc.constantFrom("writeSync", "fsyncSync", "renameSync") as fc.Arbitrary<"writeSync" | "fsyncSync" | "renameSync">;
    const step = fc.record({ data: fc.uint8Array({ minLength: 1, maxLength: 64 }), failAt: fc.option(failable) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
        const name = `prop-${Math.random().toString(36).slice(2)}.bin`;
        const path = join(dir, name);
        let expected: Uint8Array | null = null;
        for (const { data, failAt } of steps) {
          if (failAt)
            spy[failAt].mockImplementationOnce(() => {
              throw errno("EIO");
            });
          try {
            writeFileAtomic(path, data);
            expect(failAt).toBeNull();
            expected = data;
          } catch (err) {
            expect(err).toBeInstanceOf(OutputError);
          }
          if (expected === null) expect(readdirSync(dir)).not.toContain(name);
          else expect(new Uint8Array(readFileSync(path))).toEqual(expected);
          expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
        }
      }),
      { numRuns: 100 },
    );
  });
});
