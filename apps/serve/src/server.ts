// createServe: the prediction service's HTTP surface over @mlq/serving. /healthz is open; /v1/* and
// /metrics need the bearer token (MLQ_SERVE_TOKEN) unless started --insecure-local (loopback only).
// A timer refreshes candles, features and roles; requests only read that state.
import type { AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { bearerMatches, ConfigError, errorMessage, type Logger } from "@mlq/core";
import type { Config } from "@mlq/config";
import type { Connection } from "@mlq/db";
import { answerBatch, answerPrediction, LiveCandleBook, refreshServing, RoleModels, SERVED_ROLES, type ServedRole } from "@mlq/serving";

export interface ServeOptions {
  config: Config;
  conn: Connection;
  logger: Logger;
  insecureLocal?: boolean;
  /** Override config.serve.host / port (tests use port 0). */
  host?: string;
  port?: number;
}

export interface RunningServe {
  url: string;
  close(): Promise<void>;
}

export interface Serve {
  app: express.Express;
  /** One refresh now (the timer runs them too); resolves when it finished. */
  refresh(): Promise<void>;
  listen(): Promise<RunningServe>;
}

const MAX_BATCH_SYMBOLS = 256;

export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function parseRole(value: unknown): ServedRole | null {
  if (value === undefined) return "champion";
  return typeof value === "string" && (SERVED_ROLES as readonly string[]).includes(value) ? (value as ServedRole) : null;
}

export function createServe(opts: ServeOptions): Serve {
  const { config, conn, logger } = opts;
  const token = config.serve.token;
  const bindHost = opts.host ?? config.serve.host;
  if (!token && !opts.insecureLocal)
    throw new ConfigError(
      "the prediction service has no token: set MLQ_SERVE_TOKEN (at least 16 characters), or start with --insecure-local",
    );
  if (!token && !isLoopbackHost(bindHost))
    throw new ConfigError(
      `--insecure-local binds only a loopback address (127.0.0.1, ::1, localhost), not MLQ_SERVE_HOST=${bindHost}; set MLQ_SERVE_TOKEN to listen there`,
    );

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "mlq_serve_" });
  const latency = new Histogram({
    name: "mlq_serve_request_duration_seconds",
    help: "Time from request to response, by route and status",
    labelNames: ["route", "status"] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const loadFailures = new Counter({
    name: "mlq_serve_model_load_failures_total",
    help: "Model sets that failed to load (the old version kept serving)",
    labelNames: ["role"] as const,
    registers: [registry],
  });
  const swaps = new Counter({
    name: "mlq_serve_model_swaps_total",
    help: "Model sets swapped in",
    labelNames: ["role"] as const,
    registers: [registry],
  });
  const refreshSeconds = new Histogram({
    name: "mlq_serve_refresh_duration_seconds",
    help: "One refresh: materialize new ticks, read new closed bars, recompute changed symbols' features, follow the roles",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  const refreshFailures = new Counter({
    name: "mlq_serve_refresh_failures_total",
    help: "Refreshes of candles and roles that failed",
    registers: [registry],
  });
  const modelInfo = new Gauge({
    name: "mlq_serve_model_info",
    help: "1 for the version each role is answered with",
    labelNames: ["role", "version"] as const,
    registers: [registry],
  });
  const lastBar = new Gauge({
    name: "mlq_serve_last_closed_bar_timestamp_seconds",
    help: "The last closed bar each symbol's features are computed at",
    labelNames: ["symbol"] as const,
    registers: [registry],
  });

  const book = new LiveCandleBook({ maxGapMinutes: config.retrain.maxGapMinutes });
  const roles = new RoleModels({
    modelsDir: config.modelsDir,
    logger,
    onLoadFailure: (role) => loadFailures.inc({ role }),
    onSwap: (role, from, to) => {
      swaps.inc({ role });
      logger.info("serve: model swapped", { role, from, to });
    },
  });
  let ready = false;
  let lastRefreshError: string | null = null;

  async function refresh(): Promise<void> {
    const stopTimer = refreshSeconds.startTimer();
    try {
      const r = await refreshServing(conn, book, roles, { materialize: config.serve.materialize, logger });
      for (const symbol of r.bars.changed) {
        const s = book.features(symbol);
        if (s?.barTsMs != null) lastBar.set({ symbol }, s.barTsMs / 1000);
      }
      modelInfo.reset();
      for (const role of SERVED_ROLES) {
        const v = roles.slot(role).set?.version;
        if (v) modelInfo.set({ role, version: v }, 1);
      }
      if (lastRefreshError) logger.info("serve: refresh works again", { after: lastRefreshError });
      lastRefreshError = null;
      ready = true;
    } catch (err) {
      refreshFailures.inc();
      const why = errorMessage(err);
      if (why !== lastRefreshError) logger.error("serve: refresh failed", { error: why });
      lastRefreshError = why;
    } finally {
      stopTimer();
    }
  }

  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.set("query parser", "simple");
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.once("finish", () => {
      const route =
        req.path === "/v1/predict"
          ? `${req.method} /v1/predict`
          : req.path === "/healthz" || req.path === "/metrics" || req.path === "/v1/status"
            ? req.path
            : "other";
      latency.observe({ route, status: String(res.statusCode) }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });

  // Without a token, a page on another site whose name was re-pointed at 127.0.0.1 (DNS rebinding)
  // must not read predictions: answer only requests addressed to a loopback name.
  if (!token)
    app.use((req: Request, res: Response, next: NextFunction) => {
      const host = (req.headers.host ?? "").replace(/:\d+$/, "");
      if (isLoopbackHost(host)) return next();
      res
        .status(421)
        .json({
          error: `Host ${JSON.stringify(req.headers.host ?? "")} refused: without MLQ_SERVE_TOKEN the service answers only localhost, 127.0.0.1 or [::1]`,
        });
    });

  app.get("/healthz", (_req, res) => {
    res.status(ready ? 200 : 503).json({ ok: ready, ready, refresh_error: lastRefreshError !== null });
  });

  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!token || bearerMatches(req.headers.authorization, token)) return next();
    res
      .status(401)
      .set("WWW-Authenticate", 'Bearer realm="mlq serve"')
      .json({ error: "authentication required: send Authorization: Bearer <MLQ_SERVE_TOKEN>" });
  });

  const notReady = (res: Response): boolean => {
    if (ready) return false;
    res
      .status(503)
      .set("Retry-After", "1")
      .json({ error: `starting: candles and models are not loaded yet${lastRefreshError ? ` (${lastRefreshError})` : ""}` });
    return true;
  };

  app.get("/v1/predict", (req, res, next) => {
    if (notReady(res)) return;
    const role = parseRole(req.query.role);
    const symbol = req.query.symbol;
    if (role === null)
      return void res.status(400).json({ error: `role must be champion or challenger, got ${JSON.stringify(req.query.role)}` });
    if (typeof symbol !== "string" || symbol === "")
      return void res.status(400).json({ error: "symbol is required: /v1/predict?symbol=BTC-USDT&role=champion" });
    answerPrediction(book, roles, role, symbol).then((a) => void res.status(a.status).json(a.body), next);
  });

  app.post("/v1/predict", express.json({ limit: "64kb" }), (req, res, next) => {
    if (notReady(res)) return;
    const body = (req.body ?? {}) as { symbols?: unknown; role?: unknown };
    const role = parseRole(body.role);
    if (role === null) return void res.status(400).json({ error: `role must be champion or challenger, got ${JSON.stringify(body.role)}` });
    const symbols = body.symbols;
    if (
      !Array.isArray(symbols) ||
      symbols.length === 0 ||
      symbols.length > MAX_BATCH_SYMBOLS ||
      !symbols.every((s) => typeof s === "string" && s !== "")
    )
      return void res
        .status(400)
        .json({ error: `body must be {"symbols": [1..${MAX_BATCH_SYMBOLS} symbol names], "role": "champion"|"challenger"}` });
    answerBatch(book, roles, role, symbols as string[]).then((a) => void res.status(a.status).json(a.body), next);
  });

  app.get("/v1/status", (_req, res) => {
    res.json({
      ready,
      refresh_error: lastRefreshError,
      roles: Object.fromEntries(
        SERVED_ROLES.map((role) => {
          const slot = roles.slot(role);
          return [
            role,
            {
              version: slot.set?.version ?? null,
              wanted: slot.wanted,
              problem: slot.problem,
              entry_threshold: slot.set?.entryThreshold ?? null,
            },
          ];
        }),
      ),
      symbols: Object.fromEntries(
        book.symbols().map((s) => {
          const f = book.features(s)!;
          return [
            s,
            {
              state: f.kind,
              bar_ts_ms: f.barTsMs,
              segment_bars: f.segmentBars,
              ...(f.kind === "warming-up" ? { bars_missing: f.barsMissing } : {}),
            },
          ];
        }),
      ),
    });
  });

  app.get("/metrics", (_req, res, next) => {
    registry.metrics().then((text) => void res.type(registry.contentType).send(text), next);
  });

  app.use((_req, res) => {
    res.status(404).json({ error: "not found: GET|POST /v1/predict, GET /v1/status, /metrics, /healthz" });
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string };
    const status = typeof e.status === "number" && e.status >= 400 && e.status < 500 ? e.status : 500;
    if (status === 500) logger.error("serve: request failed", { method: req.method, path: req.path, error: errorMessage(err) });
    if (res.headersSent) return;
    res.status(status).json({ error: status === 500 ? `internal error: ${errorMessage(err)}` : errorMessage(err) });
  });

  return {
    app,
    refresh,
    listen() {
      const port = opts.port ?? config.serve.port;
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      let running: Promise<void> = Promise.resolve();
      const loop = (): void => {
        running = refresh().finally(() => {
          if (!stopped) timer = setTimeout(loop, config.serve.refreshMs);
        });
      };
      loop();
      return new Promise((resolve, reject) => {
        const server = app.listen(port, bindHost);
        server.once("error", reject);
        server.once("listening", () => {
          const addr = server.address() as AddressInfo;
          const url = `http://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
          logger.info("serve: listening", { url, auth: Boolean(token) });
          resolve({
            url,
            close: async () => {
              stopped = true;
              clearTimeout(timer);
              await new Promise<void>((done) => {
                server.close(() => done());
                server.closeAllConnections();
              });
              await running;
            },
          });
        });
      });
    },
  };
}
