import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request as httpRequest } from "node:http";
import { loadConfig } from "@mlq/config";
import { ConfigError } from "@mlq/core";
import { hashPassword } from "./auth.js";
import type { EnqueueFn, QueueName } from "./bull-board.js";
import { createDashboard, type Dashboard, type RunningDashboard } from "./dashboard.js";
import { createFixture, deleteRedisPrefix, testPrefix, type Fixture } from "./fixtures.test-util.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const ADMIN_TOKEN = "admin-token-abcdefghijkl";
const VIEWER_TOKEN = "viewer-token-abcdefghijk";
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
const ADMIN = basic("ops", "s3cret");

const prefix = testPrefix();
let fixture: Fixture;
let dash: Dashboard;
let running: RunningDashboard;
const enqueued: [QueueName, unknown][] = [];

async function configWith(extra: Record<string, string | boolean> = {}) {
  return loadConfig(
    {},
    {
      MLQ_QUEUE_PREFIX: prefix,
      REDIS_URL,
      MLQ_DASHBOARD_USER: "ops",
      MLQ_DASHBOARD_PASSWORD_HASH: await hashPassword("s3cret", { N: 1024, r: 8, p: 1 }),
      MLQ_DASHBOARD_TOKEN: ADMIN_TOKEN,
      MLQ_DASHBOARD_READONLY_TOKEN: VIEWER_TOKEN,
      ...extra,
    },
  );
}

// Stands in for the jobs catalog's parsePayload: a retrain payload is {mode?, requestedBy?} and nothing else.
const validatePayload = (queue: QueueName, data: unknown) => {
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new Error(`${queue} payload must be an object`);
  const keys = Object.keys(data);
  const bad = keys.find((k) => k !== "mode" && k !== "requestedBy");
  if (bad) throw new Error(`unknown field ${bad}`);
  return data;
};
const enqueue: EnqueueFn = (queue, payload) => {
  enqueued.push([queue, payload]);
  return Promise.resolve({ jobId: `${queue}-1`, deduplicated: enqueued.length > 1, message: enqueued.length > 1 ? "a retrain is already queued" : "queued" });
};

beforeAll(async () => {
  fixture = createFixture({ tradesPerArm: 5 });
  dash = await createDashboard({ config: await configWith(), dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, port: 0, enqueue, validatePayload, maxFailedLogins: 1000 });
  running = await dash.listen();
});

afterAll(async () => {
  await running?.close();
  await deleteRedisPrefix(REDIS_URL, prefix);
  fixture?.cleanup();
});

const get = (path: string, authorization?: string) => fetch(`${running.url}${path}`, { headers: authorization ? { authorization } : {} });
const send = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  fetch(`${running.url}${path}`, { method, headers: { "content-type": "application/json", ...headers }, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });

/** A raw request, so `..` segments reach the server un-normalized (fetch would resolve them) and Host can be anything. */
function rawGet(path: string, authorization: string | undefined, opts: { url?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(opts.url ?? running.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, headers: { ...(authorization ? { authorization } : {}), ...opts.headers } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const ROUTES = ["/", "/queues/", "/queues/api/queues", "/metrics", "/api/status", "/queues/static/favicon-32x32.png"];

describe("authentication", () => {
  it.each(ROUTES)("%s: 401 without credentials", async (path) => {
    const res = await get(path);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm="mlq dashboard"/);
  });

  it.each(ROUTES)("%s: 401 with a wrong password or token", async (path) => {
    expect((await get(path, basic("ops", "nope"))).status).toBe(401);
    expect((await get(path, "Bearer not-the-token-at-all")).status).toBe(401);
  });

  it.each(ROUTES)("%s: 200 for the admin (basic and bearer) and the viewer", async (path) => {
    expect((await get(path, ADMIN)).status).toBe(200);
    expect((await get(path, `Bearer ${ADMIN_TOKEN}`)).status).toBe(200);
    expect((await get(path, `Bearer ${VIEWER_TOKEN}`)).status).toBe(200);
  });

  it("/healthz answers without credentials", async () => {
    const res = await get("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
  });

  it("refuses to start without credentials, and says so when insecure-local", async () => {
    const config = loadConfig({}, { MLQ_QUEUE_PREFIX: prefix, REDIS_URL });
    await expect(createDashboard({ config, port: 0 })).rejects.toThrow(ConfigError);
    const open = await createDashboard({ config, port: 0, insecureLocal: true, dbPath: fixture.dbPath, modelsDir: fixture.modelsDir });
    const r = await open.listen();
    try {
      const page = await (await fetch(`${r.url}/`)).text();
      expect(page).toContain("INSECURE LOCAL MODE");
      expect(await (await fetch(`${r.url}/queues/`)).text()).toContain("INSECURE LOCAL MODE");
    } finally {
      await r.close();
    }
  });
});

describe("pages", () => {
  it("status page shows the active arm and charts; /api/status the same data as JSON", async () => {
    const page = await (await get("/", ADMIN)).text();
    expect(page).toContain('id="active-arm">v2_paper<');
    expect(page).toContain("<svg");
    const json = (await (await get("/api/status", ADMIN)).json()) as { active: { arm: string }; retrainRuns: unknown[]; role: string };
    expect(json.active.arm).toBe("v2_paper");
    expect(json.retrainRuns).toHaveLength(3);
    expect(json.role).toBe("admin");
  });

  it("/metrics reports Redis up, queue counts and the active arm", async () => {
    const text = await (await get("/metrics", ADMIN)).text();
    expect(text).toContain("mlq_redis_up 1");
    expect(text).toContain('mlq_queue_jobs{queue="retrain",state="waiting"} 0');
    expect(text).toContain('mlq_active_arm{arm="v2_paper"} 1');
  });

  it.each(["/queues/static/../../../../../../etc/passwd", "/queues/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/queues/static/..%2f..%2f..%2f..%2fetc%2fpasswd"])(
    "rejects path traversal %s",
    async (path) => {
      const res = await rawGet(path, ADMIN);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain("root:");
    },
  );
});

describe("authorization and CSRF", () => {
  it.each([
    ["PUT", "/queues/api/queues/retrain/obliterate"],
    ["PUT", "/queues/api/queues/retrain/empty"],
    ["PUT", "/queues/api/queues/retrain/clean/completed"],
    ["PUT", "/queues/api/queues/retrain/pause"],
    ["POST", "/queues/api/queues/retrain/add"],
  ])("viewer gets 403 for %s %s", async (method, path) => {
    const res = await send(method, path, { authorization: `Bearer ${VIEWER_TOKEN}` }, {});
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/refused: the viewer role is read-only/);
  });

  it("admin may pause and resume a queue (same-origin browser request)", async () => {
    const origin = running.url;
    expect((await send("PUT", "/queues/api/queues/calibrate/pause", { authorization: ADMIN, origin })).status).toBe(200);
    expect(await dash.queues.get("calibrate")!.isPaused()).toBe(true);
    expect((await send("PUT", "/queues/api/queues/calibrate/resume", { authorization: ADMIN, origin })).status).toBe(200);
    expect(await dash.queues.get("calibrate")!.isPaused()).toBe(false);
  });

  it("refuses a cross-origin POST even with valid credentials", async () => {
    const res = await send("POST", "/queues/api/queues/retrain/add", { authorization: ADMIN, origin: "https://evil.example" }, { name: "x", data: {} });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/cross-origin POST refused/);
  });

  it("refuses a form-encoded POST without Origin", async () => {
    const res = await fetch(`${running.url}/queues/api/queues/retrain/add`, { method: "POST", headers: { authorization: ADMIN, "content-type": "application/x-www-form-urlencoded" }, body: "name=x" });
    expect(res.status).toBe(403);
  });
});

describe("add job", () => {
  it("validates the payload and routes it through enqueue, stamped with who asked", async () => {
    const ok = await send("POST", "/queues/api/queues/retrain/add", { authorization: ADMIN, origin: running.url }, { name: "retrain", data: { mode: "force" } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ job: { id: "retrain-1", data: { mode: "force", requestedBy: "dashboard:user=ops" } }, deduplicated: false, message: "queued" });
    expect(enqueued).toEqual([["retrain", { mode: "force", requestedBy: "dashboard:user=ops" }]]);
  });

  it("ignores a requestedBy in the body: the dashboard stamps the basic user or the token's role", async () => {
    enqueued.length = 0;
    const spoof = { name: "retrain", data: { mode: "force", requestedBy: "cron" } };
    expect((await send("POST", "/queues/api/queues/retrain/add", { authorization: ADMIN }, spoof)).status).toBe(200);
    expect((await send("POST", "/queues/api/queues/retrain/add", { authorization: `Bearer ${ADMIN_TOKEN}` }, spoof)).status).toBe(200);
    expect(enqueued.map(([, p]) => (p as { requestedBy: string }).requestedBy)).toEqual(["dashboard:user=ops", "dashboard:token=admin"]);
  });

  it("keeps a job's original requestedBy when an admin edits its data", async () => {
    const q = dash.queues.get("calibrate")!;
    const job = await q.add("calibrate", { mode: "x", requestedBy: "cron" }, { delay: 60_000 });
    const res = await send("PATCH", `/queues/api/queues/calibrate/${job.id!}/update-data`, { authorization: ADMIN }, { jobData: { mode: "y", requestedBy: "mallory" } });
    expect(res.status).toBe(200);
    expect((await q.getJob(job.id!))!.data).toEqual({ mode: "y", requestedBy: "cron" });
    await job.remove();
  });

  it("validates the jobData Bull Board's editor sends (the field it writes), not another one", async () => {
    const q = dash.queues.get("calibrate")!;
    const job = await q.add("calibrate", { mode: "x" }, { delay: 60_000 });
    const res = await send("PATCH", `/queues/api/queues/calibrate/${job.id!}/update-data`, { authorization: ADMIN }, { data: { mode: "y" }, jobData: { rm: "-rf" } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe("invalid calibrate payload: unknown field rm");
    expect((await q.getJob(job.id!))!.data).toEqual({ mode: "x" });
    await job.remove();
  });

  it("rejects an invalid payload with the validator's message", async () => {
    const res = await send("POST", "/queues/api/queues/retrain/add", { authorization: ADMIN }, { name: "retrain", data: { rm: "-rf" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { key: "ERRORS.INVALID_REQUEST_BODY" }, message: "invalid retrain payload: unknown field rm" });
  });

  it("rejects a huge payload with a clear message", async () => {
    const res = await send("POST", "/queues/api/queues/retrain/add", { authorization: ADMIN }, { name: "retrain", data: { mode: "x".repeat(100_000) } });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toBe("request body exceeds 16 KiB");
  });

  it("rejects unknown queues", async () => {
    expect((await send("POST", "/queues/api/queues/nope/add", { authorization: ADMIN }, { data: {} })).status).toBe(404);
  });

  it("is refused when the dashboard is read-only for everyone", async () => {
    const ro = await createDashboard({ config: await configWith({ MLQ_DASHBOARD_READONLY: true }), dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, port: 0, enqueue, validatePayload, maxFailedLogins: 1000 });
    const r = await ro.listen();
    try {
      const res = await fetch(`${r.url}/queues/api/queues/retrain/add`, { method: "POST", headers: { authorization: ADMIN, "content-type": "application/json" }, body: "{}" });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { message: string }).message).toMatch(/dashboard is read-only/);
    } finally {
      await r.close();
    }
  });
});

describe("paths are for admins", () => {
  it("Bull Board's API hides file paths in job data from the viewer, not from the admin", async () => {
    const queue = new Queue("calibrate", { connection: { host: "127.0.0.1", port: 6379, maxRetriesPerRequest: null }, prefix });
    try {
      const outPath = join(fixture.dir, "execution_calibration.json");
      await queue.add("calibrate", { requestedBy: "test", note: `wrote ${outPath}` });
      const url = "/queues/api/queues?activeQueue=calibrate&status=latest&page=1";
      const admin = await (await get(url, `Bearer ${ADMIN_TOKEN}`)).text();
      expect(admin).toContain(outPath);
      const viewer = await (await get(url, `Bearer ${VIEWER_TOKEN}`)).text();
      expect(viewer).toContain("[path hidden]");
      expect(viewer).not.toContain(fixture.dir);
    } finally {
      await queue.close();
    }
  });

  it("/api/status and the status page hide file paths from the viewer, not from the admin", async () => {
    const admin = await (await get("/api/status", ADMIN)).text();
    expect(admin).toContain(fixture.dir);
    const viewer = await (await get("/api/status", `Bearer ${VIEWER_TOKEN}`)).text();
    expect(viewer).not.toContain(fixture.dir);
    const json = JSON.parse(viewer) as { dbPath: string; activeModelFile: { path: string }; role: string; active: { arm: string } };
    expect(json).toMatchObject({ dbPath: "[path hidden]", activeModelFile: { path: "[path hidden]" }, role: "viewer", active: { arm: "v2_paper" } });
    const page = await (await get("/", `Bearer ${VIEWER_TOKEN}`)).text();
    expect(page).not.toContain(fixture.dir);
    expect(page).toContain('id="active-arm">v2_paper<');
    expect(await (await get("/", ADMIN)).text()).toContain(fixture.dir);
  });
});

describe("Host header and bind address", () => {
  const open = async (extra: Record<string, string> = {}, options: { host?: string } = {}) =>
    createDashboard({
      config: loadConfig({}, { MLQ_QUEUE_PREFIX: prefix, REDIS_URL, ...extra }),
      port: 0,
      insecureLocal: true,
      dbPath: fixture.dbPath,
      modelsDir: fixture.modelsDir,
      ...options,
    });

  it.each(["0.0.0.0", "::", "10.0.0.5"])("insecure-local refuses to bind %s", async (host) => {
    await expect(open({}, { host })).rejects.toThrow(`--insecure-local binds only a loopback address (127.0.0.1, ::1, localhost), not MLQ_DASHBOARD_HOST=${host}`);
    await expect(open({ MLQ_DASHBOARD_HOST: host })).rejects.toThrow(ConfigError);
  });

  it("insecure-local answers only localhost / 127.0.0.1 / [::1] on its own port (DNS rebinding), /healthz included", async () => {
    const d = await open();
    const r = await d.listen();
    try {
      const port = new URL(r.url).port;
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) expect((await rawGet("/api/status", undefined, { url: r.url, headers: { host } })).status).toBe(200);
      for (const host of [`evil.example:${port}`, `localhost:${Number(port) + 1}`, "localhost"]) {
        for (const path of ["/api/status", "/healthz", "/queues/"]) {
          const res = await rawGet(path, undefined, { url: r.url, headers: { host } });
          expect(res.status).toBe(421);
          expect(res.body).toMatch(/refused: without credentials the dashboard answers only localhost, 127\.0\.0\.1 or \[::1\]/);
        }
      }
    } finally {
      await r.close();
    }
  });

  it("with credentials, MLQ_DASHBOARD_ALLOWED_HOSTS restricts Host before any password check", async () => {
    const d = await createDashboard({ config: await configWith({ MLQ_DASHBOARD_ALLOWED_HOSTS: "dash.example.com" }), dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, port: 0, maxFailedLogins: 1 });
    const r = await d.listen();
    try {
      expect((await rawGet("/api/status", ADMIN, { url: r.url, headers: { host: "dash.example.com" } })).status).toBe(200);
      const refused = await rawGet("/api/status", ADMIN, { url: r.url });
      expect(refused).toEqual({ status: 421, body: `Host ${new URL(r.url).host} refused: not in MLQ_DASHBOARD_ALLOWED_HOSTS\n` });
      // A wrong password on a refused Host is not a failed login (maxFailedLogins 1 would block the address).
      await rawGet("/api/status", basic("ops", "wrong"), { url: r.url, headers: { host: "evil.example" } });
      expect((await rawGet("/api/status", ADMIN, { url: r.url, headers: { host: "dash.example.com" } })).status).toBe(200);
    } finally {
      await r.close();
    }
  });
});

describe("login limiter behind a reverse proxy", () => {
  const wrong = basic("ops", "wrong");
  async function limited(extra: Record<string, string>) {
    const d = await createDashboard({ config: await configWith(extra), dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, port: 0, maxFailedLogins: 2 });
    return d.listen();
  }

  it("with MLQ_DASHBOARD_TRUST_PROXY=1 keys on X-Forwarded-For: one client's failures do not lock out another behind the same proxy", async () => {
    const r = await limited({ MLQ_DASHBOARD_TRUST_PROXY: "1" });
    try {
      const as = (client: string, authorization: string) => rawGet("/api/status", authorization, { url: r.url, headers: { "x-forwarded-for": client } });
      expect((await as("203.0.113.7", wrong)).status).toBe(401);
      expect((await as("203.0.113.7", wrong)).status).toBe(401);
      expect((await as("203.0.113.7", ADMIN)).status).toBe(429);
      expect((await as("198.51.100.2", ADMIN)).status).toBe(200);
    } finally {
      await r.close();
    }
  });

  it("by default ignores X-Forwarded-For, so a client cannot escape its block by inventing one", async () => {
    const r = await limited({});
    try {
      const as = (client: string, authorization: string) => rawGet("/api/status", authorization, { url: r.url, headers: { "x-forwarded-for": client } });
      expect((await as("203.0.113.7", wrong)).status).toBe(401);
      expect((await as("203.0.113.8", wrong)).status).toBe(401);
      expect((await as("198.51.100.2", ADMIN)).status).toBe(429);
    } finally {
      await r.close();
    }
  });
});
