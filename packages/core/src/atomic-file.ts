// Crash-safe file replacement: a reader sees the old file or the new one, never a part.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, mkdirSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { OutputError } from "./errors.js";

/** Writes `data` to `path` through a temp file in the same directory, fsync and rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", 0o644);
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    fsyncDir(dir);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* nothing was created (e.g. ENOTDIR): report the write's own error */
    }
    const code = (err as NodeJS.ErrnoException).code ?? "EIO";
    throw new OutputError(`cannot write ${path}: ${code}`, { cause: err, context: { path } });
  }
}

/** Makes a rename durable: fsync the directory entry (best effort where unsupported). */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* some filesystems refuse directory fsync; rename is still atomic */
  }
}

export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "EIO";
    throw new OutputError(`cannot create directory ${dir}: ${code}`, { cause: err, context: { dir } });
  }
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
