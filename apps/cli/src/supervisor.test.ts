import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appInstances, supervise, type Supervised } from "./supervisor.js";

// A stand-in app: logs "<instance> <pid>" at start and "<instance>" at SIGTERM; instance 2 exits with code 3 on its first start.
const SCRIPT = `
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const dir = process.env.DIR, id = process.env.INSTANCE;
appendFileSync(join(dir, "starts"), id + " " + process.pid + "\\n");
if (id === "2" && !existsSync(join(dir, "crashed-2"))) { writeFileSync(join(dir, "crashed-2"), ""); process.exit(3); }
process.on("SIGTERM", () => { appendFileSync(join(dir, "stops"), id + "\\n"); process.exit(0); });
setInterval(() => undefined, 1000);
`;

let dir: string;
let group: Supervised | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-supervisor-"));
  writeFileSync(join(dir, "app.mjs"), SCRIPT);
});
afterEach(async () => {
  await group?.stop();
  group = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const lines = (file: string): string[] => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), "utf8").trim().split("\n") : []);

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("appInstances", () => {
  it("keys N instances <app>#1 … #N with their own environment, none for 0", () => {
    expect(appInstances("worker-train", 3, (i) => ({ MLQ_LOGS_DIR: `logs/${i}` }))).toEqual([
      { key: "worker-train#1", app: "worker-train", env: { MLQ_LOGS_DIR: "logs/1" } },
      { key: "worker-train#2", app: "worker-train", env: { MLQ_LOGS_DIR: "logs/2" } },
      { key: "worker-train#3", app: "worker-train", env: { MLQ_LOGS_DIR: "logs/3" } },
    ]);
    expect(appInstances("worker-train", 0)).toEqual([]);
    expect(() => appInstances("worker-train", -1)).toThrow(RangeError);
    expect(() => appInstances("worker-train", 1.5)).toThrow(RangeError);
  });
});

describe("supervise", () => {
  it("runs N instances of one app and restarts only the one that exited", async () => {
    const exits: [string, number | null][] = [];
    const procs = appInstances("worker-train", 3, (i) => ({ INSTANCE: String(i) })).map((p) => ({ ...p, entry: join(dir, "app.mjs") }));
    group = supervise(procs, {
      env: { ...process.env, DIR: dir },
      stdio: "ignore",
      restartDelayMs: 50,
      onExit: (key, code) => exits.push([key, code]),
    });
    expect([...group.children.keys()]).toEqual(["worker-train#1", "worker-train#2", "worker-train#3"]);

    // Instance 2 crashed once and came back; 1 and 3 kept their first process.
    const starts = await until("four starts", () => (lines("starts").length >= 4 ? lines("starts") : undefined));
    const byInstance = new Map<string, string[]>();
    for (const l of starts) {
      const [id, pid] = l.split(" ") as [string, string];
      byInstance.set(id, [...(byInstance.get(id) ?? []), pid]);
    }
    expect([...byInstance.keys()].sort()).toEqual(["1", "2", "3"]);
    expect(byInstance.get("1")).toHaveLength(1);
    expect(byInstance.get("3")).toHaveLength(1);
    expect(byInstance.get("2")).toHaveLength(2);
    expect(exits).toEqual([["worker-train#2", 3]]);
    expect(String(group.children.get("worker-train#2")!.pid)).toBe(byInstance.get("2")![1]);
    expect(String(group.children.get("worker-train#1")!.pid)).toBe(byInstance.get("1")![0]);

    // stop() sends one SIGTERM to each current process and waits for all of them.
    await group.stop();
    expect(lines("stops").sort()).toEqual(["1", "2", "3"]);
    for (const c of group.children.values()) expect(c.exitCode ?? c.signalCode).not.toBeNull();
    expect(
      exits
        .slice(1)
        .map(([key, code]) => `${key} ${code}`)
        .sort(),
    ).toEqual(["worker-train#1 0", "worker-train#2 0", "worker-train#3 0"]);
  });

  it("refuses a key given twice", () => {
    expect(() => supervise(["producer", { key: "producer", app: "producer" }], { env: {}, stdio: "ignore" })).toThrow(
      /key producer given twice/,
    );
  });
});
