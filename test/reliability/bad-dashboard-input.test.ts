// Scenario 5, dashboard part: bad settings, hosts and credentials fed to the built dashboard
// (apps/dashboard/dist/main.js, real Redis). A bad setting stops it at start with one message; a
// bad Host or credential gets a status code and changes nothing. Outcomes are printed as a table.
import { spawnSync } from "node:child_process";
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { appEntry, observedCorpus, waitFor } from "./support.js";

const corpus = observedCorpus<{ input: string; outcome: string }>("bad dashboard input");
const observed = corpus.observed;

const TOKEN = "admin-token-0123456789abcdef";
// `scrypt$N$r$p$salt$hash` of "s3cret" with N = 1024 (fast); the dashboard reads the cost from the hash.
const HASH = "scrypt$1024$8$1$bWxxLXRlc3Qtc2FsdC0x$7RVQTNcA6Q81YvFRuDwhMgXUVYDerP_5dhT-bhBACfs";
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

function record(input: string, outcome: string): void {
  observed.push({ input, outcome: outcome.replaceAll(corpus.fx.dir, "<tmp>") });
}

function start(env: Record<string, string>, args: string[] = []) {
  return corpus.fx.spawnNode("dashboard", appEntry("dashboard"), args, corpus.fx.mlqEnv({ MLQ_DASHBOARD_PORT: "0", ...env }));
}

/** Starts the dashboard and returns its URL. */
async function running(env: Record<string, string>, args: string[] = []): Promise<string> {
  const d = start(env, args);
  return waitFor("the dashboard's URL", () => /mlq dashboard on (http:\/\/\S+)/.exec(d.output())?.[1], 30_000);
}

/** A refused start: exit code and the last line it printed, with a config problem list on one line. */
async function refusedStart(env: Record<string, string>, args: string[] = []): Promise<string> {
  const d = start(env, args);
  const { code } = await d.exited;
  expect(code).toBe(1);
  return d
    .output()
    .trim()
    .split("\n")
    .filter((l) => !l.startsWith("{"))
    .map((l) => l.trim())
    .join(" ");
}

function get(
  url: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; retryAfter?: string | undefined }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, headers }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.trim(), retryAfter: res.headers["retry-after"] }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("bad dashboard settings stop it at start with one message", () => {
  it.each<{ input: string; env: Record<string, string>; args: string[]; expect: RegExp }>([
    { input: "no credentials, no --insecure-local", env: {}, args: [], expect: /dashboard has no credentials: set MLQ_DASHBOARD_USER/ },
    {
      input: "--insecure-local on MLQ_DASHBOARD_HOST=0.0.0.0",
      env: { MLQ_DASHBOARD_HOST: "0.0.0.0" },
      args: ["--insecure-local"],
      expect: /--insecure-local binds only a loopback address .* not MLQ_DASHBOARD_HOST=0\.0\.0\.0/,
    },
    {
      input: "MLQ_DASHBOARD_USER without a password hash",
      env: { MLQ_DASHBOARD_USER: "ops" },
      args: [],
      expect: /MLQ_DASHBOARD_USER and MLQ_DASHBOARD_PASSWORD_HASH must be set together/,
    },
    {
      input: "malformed password hash (bcrypt)",
      env: { MLQ_DASHBOARD_USER: "ops", MLQ_DASHBOARD_PASSWORD_HASH: "$2b$10$abcdefghijklmnopqrstuv" },
      args: [],
      expect: /MLQ_DASHBOARD_PASSWORD_HASH is not a scrypt\$N\$r\$p\$salt\$hash string/,
    },
    {
      input: "token shorter than 16 characters",
      env: { MLQ_DASHBOARD_TOKEN: "short" },
      args: [],
      expect: /MLQ_DASHBOARD_TOKEN="short": expected at least 16 characters/,
    },
    {
      input: "MLQ_DASHBOARD_ALLOWED_HOSTS holding a URL",
      env: { MLQ_DASHBOARD_TOKEN: TOKEN, MLQ_DASHBOARD_ALLOWED_HOSTS: "https://dash.example.com/" },
      args: [],
      expect: /MLQ_DASHBOARD_ALLOWED_HOSTS=.*expected a comma list of host or host:port entries/,
    },
    {
      input: "MLQ_DASHBOARD_TRUST_PROXY=yes",
      env: { MLQ_DASHBOARD_TOKEN: TOKEN, MLQ_DASHBOARD_TRUST_PROXY: "yes" },
      args: [],
      expect: /MLQ_DASHBOARD_TRUST_PROXY="yes": expected an integer/,
    },
  ])("$input", async ({ input, env, args, expect: pattern }) => {
    const outcome = await refusedStart(env, args);
    expect(outcome).toMatch(pattern);
    record(input, `exit 1: ${outcome}`);
  });
});

describe("bad hosts and credentials get a status and change nothing", () => {
  it("insecure-local answers only loopback names on its own port (DNS rebinding)", async () => {
    const url = await running({}, ["--insecure-local"]);
    const port = Number(new URL(url).port);
    expect((await get(url, "/api/status", { host: `localhost:${port}` })).status).toBe(200);
    for (const [input, host] of [
      ["insecure-local, Host evil.example (DNS rebinding)", `evil.example:${port}`],
      ["insecure-local, Host localhost on another port", `localhost:${port + 1}`],
    ] as const) {
      const r = await get(url, "/api/status", { host });
      expect(r.status).toBe(421);
      record(input, `${r.status}: ${r.body.replaceAll(`:${port + 1}`, ":<port+1>").replaceAll(String(port), "<port>")}`);
    }
  });

  it("MLQ_DASHBOARD_ALLOWED_HOSTS refuses another Host even with valid credentials", async () => {
    const url = await running({ MLQ_DASHBOARD_TOKEN: TOKEN, MLQ_DASHBOARD_ALLOWED_HOSTS: "dash.example.com" });
    expect((await get(url, "/api/status", { host: "dash.example.com", authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    const r = await get(url, "/api/status", { authorization: `Bearer ${TOKEN}` });
    expect(r.status).toBe(421);
    record(
      "valid token, Host not in MLQ_DASHBOARD_ALLOWED_HOSTS",
      `${r.status}: ${r.body.replace(/127\.0\.0\.1:\d+/, "127.0.0.1:<port>")}`,
    );
  });

  it("wrong credentials: 401, then 429 for the address (X-Forwarded-For ignored without MLQ_DASHBOARD_TRUST_PROXY)", async () => {
    const url = await running({ MLQ_DASHBOARD_USER: "ops", MLQ_DASHBOARD_PASSWORD_HASH: HASH, MLQ_DASHBOARD_TOKEN: TOKEN });
    expect((await get(url, "/api/status", { authorization: basic("ops", "s3cret") })).status).toBe(200);
    const wrongToken = await get(url, "/api/status", { authorization: "Bearer not-the-token-at-all" });
    expect(wrongToken.status).toBe(401);
    record("wrong bearer token", `${wrongToken.status}: ${wrongToken.body}`);
    for (let i = 0; i < 9; i++) expect((await get(url, "/api/status", { authorization: basic("ops", `guess-${i}`) })).status).toBe(401);
    const blocked = await get(url, "/api/status", { authorization: basic("ops", "s3cret") });
    expect(blocked.status).toBe(429);
    record(
      "10 wrong passwords from one address, then the right one",
      `${blocked.status} (Retry-After ${blocked.retryAfter ?? "-"}): ${blocked.body}`,
    );
    const spoofed = await get(url, "/api/status", { authorization: basic("ops", "s3cret"), "x-forwarded-for": "198.51.100.9" });
    expect(spoofed.status).toBe(429);
    record("same, with an invented X-Forwarded-For (no trusted proxy)", `${spoofed.status}: the address is still blocked`);
  });

  it("hash-password prints a hash with the N = 2^17 cost", () => {
    const r = spawnSync(process.execPath, [appEntry("dashboard"), "hash-password"], { input: "correct horse\n", encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    record("hash-password", `${r.stdout.trim().split("$").slice(0, 4).join("$")}$<salt>$<hash>`);
  });
});
