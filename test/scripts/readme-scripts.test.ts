// The README's two commands (scripts/demo.sh, scripts/test.sh) against a stub `pnpm` in a copy of
// the scripts: a failed install stops them at once with pnpm's own error, and test.sh says last
// when the browser test was skipped for want of Chromium.
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REDIS_URL, REPO_ROOT } from "../support/common.js";

const PNPM_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { packageManager: string }).packageManager.split(
  "@",
)[1]!;
const INSTALL_ERROR = " ERR_PNPM_LIFECYCLE  better-sqlite3@12.4.1 install: `prebuild-install || node-gyp rebuild`";

// Records every call; `install` fails (after some progress lines) when STUB_INSTALL_EXIT is set.
const STUB = `#!/bin/sh
echo "$*" >> "$STUB_LOG"
case "$1" in
  --version) echo "${PNPM_VERSION}" ;;
  install)
    echo "Progress: resolved 312, reused 312, downloaded 0, added 312"
    echo ".../node_modules/better-sqlite3 install$ prebuild-install || node-gyp rebuild"
    if [ -n "$STUB_INSTALL_EXIT" ]; then echo '${INSTALL_ERROR}' >&2; exit "$STUB_INSTALL_EXIT"; fi ;;
  *) exit "\${STUB_RUN_EXIT:-0}" ;;
esac
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-scripts-"));
  mkdirSync(join(dir, "bin"));
  cpSync(join(REPO_ROOT, "scripts"), join(dir, "scripts"), { recursive: true });
  cpSync(join(REPO_ROOT, "package.json"), join(dir, "package.json"));
  // What a half-finished install leaves behind: the old scripts' only check passed on it.
  mkdirSync(join(dir, "node_modules", ".pnpm"), { recursive: true });
  writeFileSync(join(dir, "bin", "pnpm"), STUB);
  chmodSync(join(dir, "bin", "pnpm"), 0o755);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function run(script: string, env: Record<string, string> = {}) {
  const r = spawnSync("bash", [join(dir, "scripts", script)], {
    env: { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`, STUB_LOG: join(dir, "calls.log"), REDIS_URL, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  const calls = existsSync(join(dir, "calls.log")) ? readFileSync(join(dir, "calls.log"), "utf8").trim().split("\n") : [];
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
}

describe("README scripts", () => {
  it.each(["demo.sh", "test.sh"])(
    "%s stops at a failed pnpm install with pnpm's exit code and error, running nothing after it",
    (script) => {
      const r = run(script, { STUB_INSTALL_EXIT: "7" });
      expect(r.status).toBe(7);
      expect(r.calls.filter((c) => c !== "--version")).toEqual(["install --frozen-lockfile --reporter=append-only"]);
      const lastLines = r.stderr.trim().split("\n").slice(-4).join("\n");
      expect(lastLines).toContain("mlq: pnpm install failed (exit 7); its last lines:");
      expect(lastLines).toContain(INSTALL_ERROR.trim());
      expect(r.stdout).not.toContain(".../node_modules"); // the progress noise stays filtered
    },
  );

  it("test.sh ends with a warning when the browser test was skipped for want of Chromium, keeping vitest's exit code", () => {
    const missing = join(dir, "no-chromium");
    const ok = run("test.sh", { MLQ_CHROMIUM: missing, MLQ_PYTHON: "true" });
    expect(ok.calls.filter((c) => c !== "--version")).toEqual(["install --frozen-lockfile --reporter=append-only", "run test"]);
    expect(ok.status).toBe(0);
    expect(ok.stderr.trim().split("\n").at(-1)).toBe(
      `mlq: WARNING: the dashboard browser test was SKIPPED: no Chromium at ${missing} (apt-get install -y chromium, or set MLQ_CHROMIUM)`,
    );
    const failing = run("test.sh", { MLQ_CHROMIUM: missing, MLQ_PYTHON: "true", STUB_RUN_EXIT: "3" });
    expect(failing.status).toBe(3);
    expect(failing.stderr.trim().split("\n").at(-1)).toMatch(/browser test was SKIPPED/);
  });

  it("test.sh prints no warning when Chromium and python3-xgboost are there", () => {
    // Any executable stands in for Chromium; `true -c "import xgboost"` succeeds like a Python that has it.
    const r = run("test.sh", { MLQ_CHROMIUM: process.execPath, MLQ_PYTHON: "true" });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/SKIPPED/);
  });

  it("test.sh ends with a warning when the XGBoost interop test was skipped for want of python3-xgboost", () => {
    const r = run("test.sh", { MLQ_CHROMIUM: process.execPath, MLQ_PYTHON: "false" });
    expect(r.status).toBe(0);
    expect(r.stderr.trim().split("\n").at(-1)).toBe(
      "mlq: WARNING: the XGBoost interop test was SKIPPED: false cannot import xgboost (apt-get install -y python3-xgboost, or set MLQ_PYTHON)",
    );
  });
});

describe("CI", () => {
  it(".ci/run installs Chromium and python3-xgboost for the tests that need them, then runs the README's test command", () => {
    const ci = readFileSync(join(REPO_ROOT, ".ci", "run"), "utf8");
    expect(ci).toMatch(/apt-get install -y[^\n]* chromium/);
    expect(ci).toContain('/usr/bin/python3 -c "import xgboost"');
    expect(ci).toMatch(/apt-get install -y[^\n]* python3-xgboost/);
    expect(ci.trim().split("\n").at(-1)).toBe("exec bash scripts/test.sh");
  });
});
