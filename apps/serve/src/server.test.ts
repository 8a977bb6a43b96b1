import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "@mlq/config";
import { silentLogger } from "@mlq/core";
import { openMigrated, type Connection } from "@mlq/db";
import { createServe, isLoopbackHost, type RunningServe } from "./server.js";

let dir: string;
let conn: Connection;
let running: RunningServe | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlq-serve-app-"));
  conn = openMigrated(join(dir, "bot.db"), { create: true });
});
afterEach(async () => {
  await running?.close();
  running = undefined;
  conn.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = (env: Record<string, string> = {}) =>
  loadConfig({ MLQ_MODELS_DIR: join(dir, "models"), MLQ_SERVE_REFRESH_MS: "50", ...env });

/** A raw GET with the given Host header (fetch does not let a caller set it). */
function getWithHost(
  url: string,
  path: string,
  host: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { headers: { host, ...headers } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("createServe", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["localhost", true],
    ["[::1]", true],
    ["0.0.0.0", false],
    ["10.0.0.5", false],
    ["evil.example", false],
  ])("isLoopbackHost(%s) -> %s", (host, ok) => expect(isLoopbackHost(host)).toBe(ok));

  it("refuses to start without a token unless --insecure-local, and then only on loopback", () => {
    expect(() => createServe({ config: config(), conn, logger: silentLogger })).toThrow(/no token: set MLQ_SERVE_TOKEN/);
    expect(() => createServe({ config: config({ MLQ_SERVE_HOST: "0.0.0.0" }), conn, logger: silentLogger, insecureLocal: true })).toThrow(
      /binds only a loopback address/,
    );
  });

  it("without a token answers only loopback Host names (DNS rebinding)", async () => {
    running = await createServe({ config: config(), conn, logger: silentLogger, insecureLocal: true, port: 0 }).listen();
    const port = new URL(running.url).port;
    expect((await getWithHost(running.url, "/healthz", `evil.example:${port}`)).status).toBe(421);
    const ok = await getWithHost(running.url, "/v1/predict?symbol=BTC-USDT", `localhost:${port}`);
    expect([200, 503]).toContain(ok.status); // 503 before the first refresh or with no champion: either way answered
  });

  it("with a token: 401 without it, 400 on a bad role or batch, 503 with why while no champion exists", async () => {
    const token = "unit-test-token-0123456789";
    const serve = createServe({ config: config({ MLQ_SERVE_TOKEN: token }), conn, logger: silentLogger, port: 0 });
    running = await serve.listen();
    await serve.refresh();
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${running.url}/v1/predict?symbol=X`)).status).toBe(401);
    expect((await fetch(`${running.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${running.url}/v1/predict?symbol=X&role=boss`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${running.url}/v1/predict`, { headers: auth })).status).toBe(400);
    const bad = await fetch(`${running.url}/v1/predict`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: '{"symbols": []}',
    });
    expect(bad.status).toBe(400);
    const none = await fetch(`${running.url}/v1/predict?symbol=X`, { headers: auth });
    expect(none.status).toBe(503);
    expect(((await none.json()) as { error: string }).error).toMatch(/no champion yet/);
  });
});
