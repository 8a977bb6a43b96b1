import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { deliverWebhook, signWebhook, verifyWebhook, webhookBody, WebhookDeliveryError, webhookKey, type WebhookEvent } from "./webhook.js";

const EVENT: WebhookEvent = {
  id: "role-7-promote-1764806400000",
  type: "champion.promoted",
  occurredAt: "2026-12-04T00:00:00.000Z",
  summary: "version 2 promoted to champion (was 1)",
  data: { version: "2", previousVersion: "1" },
};
const SECRET = "a-secret-of-some-length";

describe("signWebhook", () => {
  it("reproduces the Standard Webhooks reference vector (whsec_ secrets are base64 keys)", () => {
    expect(signWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')).toBe(
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    );
  });

  it("uses any other secret's UTF-8 bytes as the key (known answer from openssl)", () => {
    // printf '%s' 'id1.1700000000.{}' | openssl dgst -sha256 -hmac 'plain-secret-0123' -binary | base64
    expect(webhookKey("plain-secret-0123")).toEqual(Buffer.from("plain-secret-0123"));
    expect(signWebhook("plain-secret-0123", "id1", 1700000000, "{}")).toBe(`v1,${PLAIN_VECTOR}`);
  });
});

describe("verifyWebhook", () => {
  const body = webhookBody(EVENT);
  const ts = 1_764_806_400;
  const headers = { id: EVENT.id, timestamp: String(ts), signature: signWebhook(SECRET, EVENT.id, ts, body) };
  it.each([
    ["the signed request", headers, body, ts + 10, true],
    ["a changed body", headers, body.replace("promoted", "rejected"), ts, false],
    ["another event id", { ...headers, id: "role-8-promote-1" }, body, ts, false],
    ["a changed timestamp", { ...headers, timestamp: String(ts + 1) }, body, ts, false],
    ["a replay outside the tolerance", headers, body, ts + 301, false],
    ["one of several signatures (key rotation)", { ...headers, signature: `v1,AAAA ${headers.signature}` }, body, ts, true],
  ])("%s → %s", (_name, h, b, now, ok) => {
    expect(verifyWebhook(SECRET, h, b, now)).toBe(ok);
  });
});

describe("deliverWebhook against a real local HTTP server", () => {
  let server: Server | undefined;
  const open = new Set<ServerResponse>();
  afterEach(async () => {
    for (const r of open) r.destroy();
    open.clear();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });
  async function serve(answer: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<string> {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => answer(req, body, res));
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/secret-path-token`;
  }

  it("POSTs the event as JSON with id, timestamp and a signature the receiver verifies", async () => {
    let seen: { headers: IncomingMessage["headers"]; body: string; method: string } | undefined;
    const url = await serve((req, body, res) => {
      seen = { headers: req.headers, body, method: req.method! };
      res.writeHead(202).end("ok");
    });
    const d = await deliverWebhook(EVENT, { url, secret: SECRET, requestTimeoutMs: 2000, nowMs: 1_764_806_400_500 });
    expect(d).toMatchObject({ status: 202, timestampSec: 1_764_806_400 });
    expect(seen!.method).toBe("POST");
    expect(seen!.headers["content-type"]).toBe("application/json");
    expect(seen!.headers["webhook-id"]).toBe(EVENT.id);
    expect(seen!.headers["webhook-timestamp"]).toBe("1764806400");
    expect(JSON.parse(seen!.body)).toEqual({
      id: EVENT.id,
      type: EVENT.type,
      occurred_at: EVENT.occurredAt,
      summary: EVENT.summary,
      data: EVENT.data,
    });
    const h = { id: EVENT.id, timestamp: "1764806400", signature: String(seen!.headers["webhook-signature"]) };
    expect(verifyWebhook(SECRET, h, seen!.body, 1_764_806_401)).toBe(true);
  });

  it.each([
    [500, true],
    [503, true],
    [429, true],
    [408, true],
    [302, true],
    [400, false],
    [401, false],
    [404, false],
  ])("an answer %i is a WebhookDeliveryError, retryable %s, naming the origin only (not the URL's path)", async (status, retryable) => {
    const url = await serve((_req, _body, res) => res.writeHead(status, status === 302 ? { location: "/elsewhere" } : {}).end());
    const err = await deliverWebhook(EVENT, { url, secret: SECRET, requestTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookDeliveryError);
    expect((err as WebhookDeliveryError).retryable).toBe(retryable);
    expect((err as Error).message).toMatch(new RegExp(`^webhook http://127\\.0\\.0\\.1:\\d+ answered ${status}`));
    expect((err as Error).message).not.toContain("secret-path-token");
  });

  it("an endpoint that never answers fails the attempt after requestTimeoutMs, retryably", async () => {
    const url = await serve((_req, _body, res) => open.add(res));
    const err = await deliverWebhook(EVENT, { url, secret: SECRET, requestTimeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookDeliveryError);
    expect((err as Error).message).toMatch(/: no answer within 150 ms$/);
    expect((err as WebhookDeliveryError).retryable).toBe(true);
  });

  it("a refused connection is retryable; the job's own abort (timeout, cancel) is passed through as it is", async () => {
    const url = await serve((_req, _body, res) => open.add(res));
    const port = Number(new URL(url).port);
    await new Promise<void>((r) => {
      server!.closeAllConnections();
      server!.close(() => r());
    });
    server = undefined;
    const refused = await deliverWebhook(EVENT, { url: `http://127.0.0.1:${port}/`, secret: SECRET, requestTimeoutMs: 2000 }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(WebhookDeliveryError);
    expect((refused as WebhookDeliveryError).retryable).toBe(true);

    const hanging = await serve((_req, _body, res) => open.add(res));
    const job = new AbortController();
    const reason = new Error("timed out after 1min");
    setTimeout(() => job.abort(reason), 50);
    await expect(deliverWebhook(EVENT, { url: hanging, secret: SECRET, requestTimeoutMs: 10_000, signal: job.signal })).rejects.toBe(
      reason,
    );
  });
});

// The expected signature of the second known answer, computed independently with openssl.
const PLAIN_VECTOR = "CKJ6SwqSkQ24NA722Bnz0KBJrTD/I0t22zLOZsg0NJo=";
