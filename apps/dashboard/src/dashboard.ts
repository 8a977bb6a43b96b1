// createDashboard: one express app with /healthz (open), and behind authentication the
// status page (/), /api/status, /metrics and Bull Board (/queues).
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { AddressInfo } from "node:net";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { ConfigError, errorMessage, silentLogger, type Logger } from "@mlq/core";
import type { Config } from "@mlq/config";
import { createAuthenticator, createLoginLimiter, roleOf } from "./auth.js";
import { createBoardRouter, QUEUE_NAMES, type EnqueueFn, type QueueName, type ValidatePayloadFn } from "./bull-board.js";
import { csrfRejection } from "./csrf.js";
import { hostRejection, isLoopbackAddress } from "./host-check.js";
import { createMetrics } from "./metrics.js";
import { redactPaths } from "./redact-paths.js";
import { readStatus } from "./status-data.js";
import { renderStatusPage } from "./status-page.js";
import { mountModelPages, versionsWithCards } from "./model-routes.js";

export interface DashboardOptions {
  config: Config;
  /** An ioredis connection to share; the dashboard does not close it. */
  redisConnection?: Redis;
  /** Used when no connection is given; defaults to config.redisUrl. */
  redisUrl?: string;
  /** Defaults to config.dbPath / config.modelsDir. */
  dbPath?: string;
  modelsDir?: string;
  logger?: Logger;
  /** The producer's enqueue (one retrain at a time); without it "add job" is refused. */
  enqueue?: EnqueueFn;
  /** The jobs catalog's parsePayload; without it "add job" and "edit data" are refused. */
  validatePayload?: ValidatePayloadFn;
  jobDataSchemas?: Partial<Record<QueueName, Record<string, unknown>>>;
  /** Allow starting without credentials (every page then says so). */
  insecureLocal?: boolean;
  /** Bull Board read-only for everyone; defaults to config.dashboard.readOnly. */
  readOnly?: boolean;
  /** Limit for JSON request bodies (add job, edit data). Default 16 KiB. */
  maxBodyBytes?: number;
  /** Failed logins per client address in 5 minutes before it gets 429 (default 10). */
  maxFailedLogins?: number;
  /** Extra origins allowed to POST (e.g. the public URL behind a reverse proxy). */
  allowedOrigins?: string[];
  /** Host headers answered (host or host:port); defaults to config.dashboard.allowedHosts (empty = any). */
  allowedHosts?: readonly string[];
  /** Reverse-proxy hops whose X-Forwarded-For names the client; defaults to config.dashboard.trustProxy (0 = none). */
  trustProxy?: number;
  /** Override config.dashboard.host / port (tests use port 0). */
  host?: string;
  port?: number;
}

export interface RunningDashboard {
  url: string;
  close(): Promise<void>;
}

export interface Dashboard {
  app: Express;
  queues: ReadonlyMap<QueueName, Queue>;
  listen(): Promise<RunningDashboard>;
  /** Closes the queues and the Redis connection the dashboard opened (listen's close calls it). */
  close(): Promise<void>;
}

const SECURITY_HEADERS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "same-origin",
  "Cache-Control": "no-store",
};

export async function createDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const { config } = opts;
  const logger = opts.logger ?? silentLogger;
  const insecureLocal = opts.insecureLocal ?? false;
  const readOnly = opts.readOnly ?? config.dashboard.readOnly;
  const dbPath = opts.dbPath ?? config.dbPath;
  const modelsDir = opts.modelsDir ?? config.modelsDir;
  const maxBodyBytes = opts.maxBodyBytes ?? 16 * 1024;
  // Throws (ConfigError) before any connection is opened when credentials are missing.
  const auth = createAuthenticator(config.dashboard, { insecureLocal, limiter: createLoginLimiter({ maxFailures: opts.maxFailedLogins ?? 10 }) });
  const bindHost = opts.host ?? config.dashboard.host;
  if (!auth.enabled && !isLoopbackAddress(bindHost))
    throw new ConfigError(`--insecure-local binds only a loopback address (127.0.0.1, ::1, localhost), not MLQ_DASHBOARD_HOST=${bindHost}; set credentials to listen there`);
  if (!auth.enabled) logger.warn("dashboard: INSECURE LOCAL MODE, no authentication");
  const hostPolicy = { loopbackOnly: !auth.enabled, allowed: opts.allowedHosts ?? config.dashboard.allowedHosts };
  const trustProxy = opts.trustProxy ?? config.dashboard.trustProxy;

  const ownsRedis = !opts.redisConnection;
  const redis = opts.redisConnection ?? new Redis(opts.redisUrl ?? config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  redis.on("error", (err: Error) => logger.warn("dashboard: redis error", { error: err.message }));
  const queues = new Map<QueueName, Queue>(QUEUE_NAMES.map((name) => [name, new Queue(name, { connection: redis, prefix: config.queuePrefix })]));

  const metrics = createMetrics({
    queues: [...queues.values()],
    prefix: config.queuePrefix,
    redisStatus: () => redis.status,
    redis,
    readStatus: () => readStatus({ dbPath, modelsDir, tradeLimit: 0, abPolicy: config.ab }),
    logger,
  });
  // Paths say where the data lives and who runs it: admins only.
  const knownPaths = [dbPath, modelsDir, config.calibrationPath, config.logsDir];
  const statusFor = (res: Response) => {
    const report = readStatus({ dbPath, modelsDir, abPolicy: config.ab });
    return roleOf(res) === "admin" ? report : redactPaths(report, knownPaths);
  };
  const pageContext = (res: Response) => ({
    insecureLocal: !auth.enabled,
    readOnly,
    role: roleOf(res),
    assumedSlippagePerSidePct: config.costs.baseSlippagePerSidePct * config.costs.slippageMultMax,
    versions: versionsWithCards(modelsDir),
  });

  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  // Behind N reverse proxies req.ip (the login limiter's key) is the client, not the proxy.
  if (trustProxy > 0) app.set("trust proxy", trustProxy);
  app.use((_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });

  // Before everything, /healthz included: the raw Host header, which a page cannot forge.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const reason = hostRejection(req.headers.host, req.socket.localPort, hostPolicy);
    if (reason === null) return next();
    logger.warn("dashboard: Host check refused a request", { host: req.headers.host, path: req.path, reason });
    res.status(421).type("text/plain").send(`${reason}\n`);
  });

  app.get("/healthz", (_req, res) => {
    res.json({ ok: true, redis: redis.status });
  });

  app.use(auth.middleware);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const reason = csrfRejection(
      {
        method: req.method,
        host: req.headers.host,
        origin: req.headers.origin,
        referer: req.headers.referer,
        contentType: req.headers["content-type"],
        requestedWith: req.get("x-requested-with"),
      },
      opts.allowedOrigins,
    );
    if (reason === null) return next();
    logger.warn("dashboard: CSRF check refused a request", { method: req.method, path: req.path, reason });
    res.status(403).json({ error: { key: "ERRORS.FORBIDDEN" }, message: reason });
  });

  app.get("/", (_req, res) => {
    res.type("html").send(renderStatusPage(statusFor(res), pageContext(res)));
  });

  app.get("/api/status", (_req, res) => {
    res.json({ ...statusFor(res), insecureLocal: !auth.enabled, readOnly, role: roleOf(res) });
  });

  mountModelPages(app, { dbPath, modelsDir, knownPaths, pageContext });

  app.get("/metrics", (_req, res, next) => {
    metrics.scrape().then((text) => res.type(metrics.contentType).send(text), next);
  });

  // Bull Board's API carries job data and return values (a calibration's output path, a version
  // dir): the viewer gets them with the same path redaction as the status page.
  app.use("/queues/api", (_req, res, next) => {
    if (roleOf(res) !== "admin") {
      const json = res.json.bind(res);
      res.json = (body: unknown) => json(redactPaths(body, knownPaths));
    }
    next();
  });

  app.use(
    "/queues",
    createBoardRouter({ basePath: "/queues", queues, readOnly, insecureLocal: !auth.enabled, logger, enqueue: opts.enqueue, validatePayload: opts.validatePayload, jobDataSchemas: opts.jobDataSchemas, maxBodyBytes }),
  );

  app.use((_req, res) => {
    res.status(404).type("text/plain").send("not found\n");
  });

  // Express 5 error handler: body-parser errors keep their status; everything else is a 500
  // with a one-line message (no stack traces to the browser).
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string; limit?: number };
    const status = typeof e.status === "number" && e.status >= 400 && e.status < 500 ? e.status : 500;
    const message =
      e.type === "entity.too.large"
        ? `request body exceeds ${Math.round((e.limit ?? maxBodyBytes) / 1024)} KiB`
        : status === 500
          ? `internal error: ${errorMessage(err)}`
          : errorMessage(err);
    if (status === 500) logger.error("dashboard: request failed", { method: req.method, path: req.path, error: errorMessage(err) });
    if (res.headersSent) return;
    res.status(status).json({ error: { key: status === 500 ? "ERRORS.INTERNAL_SERVER_ERROR" : "ERRORS.INVALID_REQUEST_BODY" }, message });
  });

  let closed = false;
  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    await Promise.all([...queues.values()].map((q) => q.close().catch(() => undefined)));
    if (ownsRedis) redis.disconnect();
  }

  return {
    app,
    queues,
    close,
    listen() {
      const port = opts.port ?? config.dashboard.port;
      return new Promise((resolve, reject) => {
        const server = app.listen(port, bindHost);
        server.once("error", reject);
        server.once("listening", () => {
          const addr = server.address() as AddressInfo;
          const shownHost = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
          const url = `http://${shownHost}:${addr.port}`;
          logger.info("dashboard: listening", { url, auth: auth.enabled, readOnly });
          resolve({
            url,
            close: async () => {
              await new Promise<void>((res) => {
                server.close(() => res());
                server.closeAllConnections();
              });
              await close();
            },
          });
        });
      });
    },
  };
}
