// The house rules of SPEC §1 as a test: apps import packages, never another app; domain packages
// know nothing of the queue layer; the gates are pure; no import reaches into another package's
// files. Reads every TypeScript file's import specifiers and every package.json's dependencies.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface Workspace {
  dir: string;
  name: string;
  kind: "app" | "package";
  deps: string[];
}

function workspaces(): Workspace[] {
  return (["apps", "packages"] as const).flatMap((top) =>
    readdirSync(join(root, top))
      .map((d) => join(root, top, d))
      .filter((d) => statSync(join(d, "package.json"), { throwIfNoEntry: false }))
      .map((dir) => {
        const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
          name: string;
          dependencies?: object;
          devDependencies?: object;
        };
        return {
          dir,
          name: pkg.name,
          kind: top === "apps" ? "app" : "package",
          deps: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})],
        };
      }),
  );
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name === "dist") continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|mts|tsx)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|(?:^|[\s;(])import\s*\(\s*["']([^"']+)["']\s*\)|(?:^|[\s;])import\s*["']([^"']+)["']/gm;

function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** Packages that may know the queue layer: the queue library itself and the per-queue task functions. */
const QUEUE_AWARE = new Set(["@mlq/jobs", "@mlq/tasks"]);
const QUEUE_MODULES = ["@mlq/jobs", "bullmq", "ioredis"];
/** Pure packages: plain data in, plain data out. */
const PURE: Record<string, string[]> = { "@mlq/gates": ["@mlq/db", "better-sqlite3", "drizzle-orm"] };

/** Violations in the workspaces named by `only` (default all); `read` lets a test plant a file. */
function violations(all: Workspace[], only?: string, read: (file: string) => string = (f) => readFileSync(f, "utf8")): string[] {
  const apps = new Set(all.filter((w) => w.kind === "app").map((w) => w.name));
  const bad: string[] = [];
  for (const w of all) {
    if (only !== undefined && w.name !== only) continue;
    const where = relative(root, w.dir);
    const forbidden = (spec: string): string | null => {
      if (apps.has(spec.split("/").slice(0, 2).join("/")) && spec.split("/").slice(0, 2).join("/") !== w.name)
        return `imports the app ${spec}`;
      if (w.kind === "package" && !QUEUE_AWARE.has(w.name) && QUEUE_MODULES.some((q) => spec === q || spec.startsWith(`${q}/`)))
        return `a domain package imports ${spec}`;
      if (w.kind === "package" && QUEUE_AWARE.has(w.name) && w.name !== "@mlq/jobs" && (spec === "bullmq" || spec === "ioredis"))
        return `imports ${spec} (only @mlq/jobs talks to Redis)`;
      for (const p of PURE[w.name] ?? []) if (spec === p || spec.startsWith(`${p}/`)) return `the pure package ${w.name} imports ${spec}`;
      return null;
    };
    for (const dep of w.deps) {
      const why = forbidden(dep);
      if (why) bad.push(`${where}/package.json: ${why}`);
    }
    for (const file of sourceFiles(w.dir)) {
      for (const spec of importsOf(read(file))) {
        const why = forbidden(spec);
        if (why) bad.push(`${relative(root, file)}: ${why}`);
        if (spec.startsWith(".")) {
          const target = resolve(dirname(file), spec);
          if (!(target + sep).startsWith(w.dir + sep)) bad.push(`${relative(root, file)}: reaches outside ${where} with ${spec}`);
        }
      }
    }
  }
  return bad;
}

describe("import rules (SPEC §1)", () => {
  const all = workspaces();

  it("finds the workspace packages and apps", () => {
    expect(all.filter((w) => w.kind === "app").length).toBeGreaterThanOrEqual(5);
    expect(all.filter((w) => w.kind === "package").length).toBeGreaterThanOrEqual(8);
  });

  it("holds on the tree: no app imports an app, no domain package imports the queue layer, gates are pure", () => {
    expect(violations(all)).toEqual([]);
  });

  it("parses the import forms the tree uses", () => {
    const text = `import a from "x1";\nimport { b, type C } from "x2";\nexport { d } from "x3";\nconst e = await import("x4");\nimport "x5";\nimport type { F } from 'x6';`;
    expect(importsOf(text)).toEqual(["x1", "x2", "x3", "x4", "x5", "x6"]);
  });

  it("catches each kind of violation", () => {
    const entry = (name: string) => join(all.find((w) => w.name === name)!.dir, "src", "index.ts");
    const planted = (name: string, text: string) => violations(all, name, (f) => (f === entry(name) ? text : readFileSync(f, "utf8")));
    expect(planted("@mlq/cli", `import { x } from "@mlq/dashboard";`)).toContainEqual(
      expect.stringContaining("imports the app @mlq/dashboard"),
    );
    expect(planted("@mlq/cli", `import { x } from "../../dashboard/src/main.js";`)).toContainEqual(
      expect.stringContaining("reaches outside"),
    );
    expect(planted("@mlq/gates", `import { openDatabase } from "@mlq/db";`)).toContainEqual(expect.stringContaining("pure package"));
    expect(planted("@mlq/ab", `import { Queue } from "bullmq";`)).toContainEqual(expect.stringContaining("domain package imports bullmq"));
    expect(planted("@mlq/ab", `import { runWorker } from "@mlq/jobs";`)).toContainEqual(
      expect.stringContaining("domain package imports @mlq/jobs"),
    );
  });
});
