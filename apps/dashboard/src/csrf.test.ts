import { describe, expect, it } from "vitest";
import { csrfRejection, type CsrfRequest } from "./csrf.js";

const base: CsrfRequest = { method: "POST", host: "127.0.0.1:3000", origin: undefined, referer: undefined, contentType: undefined, requestedWith: undefined };

describe("csrfRejection", () => {
  it.each<[string, Partial<CsrfRequest>, boolean]>([
    ["GET is never checked", { method: "GET", origin: "https://evil.example" }, true],
    ["same-origin Origin", { origin: "http://127.0.0.1:3000" }, true],
    ["same host behind a TLS proxy", { origin: "https://127.0.0.1:3000" }, true],
    ["cross-origin Origin", { origin: "https://evil.example", contentType: "application/json" }, false],
    ["opaque Origin null", { origin: "null", contentType: "application/json" }, false],
    ["same-origin Referer without Origin", { referer: "http://127.0.0.1:3000/queues/" }, true],
    ["cross-origin Referer", { method: "PUT", referer: "http://evil.example/x" }, false],
    ["no Origin/Referer, form content type", { contentType: "application/x-www-form-urlencoded" }, false],
    ["no Origin/Referer, JSON", { contentType: "application/json; charset=utf-8" }, true],
    ["no Origin/Referer, X-Requested-With", { method: "DELETE", requestedWith: "curl" }, true],
    ["allowed extra origin", { origin: "https://dash.example.com" }, true],
  ])("%s", (_name, patch, allowed) => {
    const reason = csrfRejection({ ...base, ...patch }, ["https://dash.example.com"]);
    if (allowed) expect(reason).toBeNull();
    else expect(reason).toMatch(/refused|must send/);
  });
});
