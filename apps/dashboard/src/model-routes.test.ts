import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "@mlq/config";
import { addModelVersions } from "./card-fixture.test-util.js";
import { createDashboard, type RunningDashboard } from "./dashboard.js";
import { createFixture, deleteRedisPrefix, testPrefix, type Fixture } from "./fixtures.test-util.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const ADMIN = "admin-token-abcdefghijkl";
const VIEWER = "viewer-token-abcdefghijk";
const prefix = testPrefix();
let fixture: Fixture;
let running: RunningDashboard;

beforeAll(async () => {
  fixture = createFixture({ tradesPerArm: 5 });
  addModelVersions(fixture);
  const config = loadConfig({}, { REDIS_URL, MLQ_QUEUE_PREFIX: prefix, MLQ_DASHBOARD_TOKEN: ADMIN, MLQ_DASHBOARD_READONLY_TOKEN: VIEWER });
  running = await (await createDashboard({ config, dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, port: 0 })).listen();
});
afterAll(async () => {
  await running?.close();
  await deleteRedisPrefix(REDIS_URL, prefix);
  fixture?.cleanup();
});

const get = (path: string, token = ADMIN) => fetch(`${running.url}${path}`, { headers: { authorization: `Bearer ${token}` }, redirect: "manual" });

describe("model pages", () => {
  it("need authentication like every other page", async () => {
    expect((await fetch(`${running.url}/models/3`)).status).toBe(401);
    expect((await fetch(`${running.url}/api/models/3`)).status).toBe(401);
  });

  it("/api/models/:version is the card as JSON; an unknown version is a 404 with a one-line message", async () => {
    const res = await get("/api/models/3");
    expect(res.status).toBe(200);
    const card = (await res.json()) as { version: string; importance: { models: unknown[] }; roles: { current: string[] } };
    expect(card.version).toBe("3");
    expect(card.importance.models).toHaveLength(5);
    expect(card.roles.current).toEqual(["challenger"]);
    const missing = await get("/models/77");
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("model version 77 not found in");
    expect((await get("/models/..%2F1")).status).toBe(404);
  });

  it("a viewer sees a failed file check without the file's path; an admin sees the path", async () => {
    writeFileSync(join(fixture.modelsDir, "1", "risk.xgb"), "x");
    const viewer = await (await get("/models/1", VIEWER)).text();
    expect(viewer).toContain("check failed");
    expect(viewer).not.toContain(fixture.modelsDir);
    expect(viewer).toContain("[path hidden]");
    expect(await (await get("/models/1")).text()).toContain(join(fixture.modelsDir, "1", "risk.xgb"));
    const notFound = await (await get("/models/78", VIEWER)).text();
    expect(notFound).not.toContain(fixture.modelsDir);
  });

  it("the list's form redirects to the diff page, which needs both versions", async () => {
    const res = await get("/models/diff?a=1&b=3");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/models/1/diff/3");
    expect((await get("/models/diff?a=1")).status).toBe(404);
    expect((await get("/models/1/diff/9")).status).toBe(404);
  });
});
