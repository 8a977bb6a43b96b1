// Root ignores directory modes, so a chmod-ed directory stops nothing in CI (which runs as
// root). This runs a synchronous check with the effective uid/gid of `nobody` instead, and
// switches back afterwards (possible because the real uid stays 0).
const NOBODY = 65_534;

export function asUnprivileged<T>(fn: () => T): T {
  if (process.geteuid?.() !== 0) return fn();
  // process.seteuid exists in the main thread of a process; vitest runs unit tests in forks.
  if (!process.seteuid || !process.setegid) throw new Error("asUnprivileged: process.seteuid is unavailable (worker thread?)");
  process.setegid(NOBODY);
  process.seteuid(NOBODY);
  try {
    return fn();
  } finally {
    process.seteuid(0);
    process.setegid(0);
  }
}
