// Bull Board at /queues, with mlq's rules in front of it: viewers and read-only mode get a
// read-only board and cannot change anything; "add job" and "update data" are validated with
// the jobs catalog's schema, and added jobs go through the producer (one retrain at a time).
// `requestedBy` is the dashboard's to write: an added job names who asked, an edit keeps the
// job's original value, whatever the body says.
import express, { Router, type NextFunction, type Request, type Response } from "express";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { UIConfig } from "@bull-board/api/typings/app";
import type { Queue } from "bullmq";
import { errorMessage, type Logger } from "@mlq/core";
import { QUEUE_NAMES, type QueueName } from "@mlq/jobs";
import { principalOf, roleOf } from "./auth.js";

export { QUEUE_NAMES, type QueueName };

export interface EnqueueResult {
  jobId: string;
  deduplicated: boolean;
  message: string;
}
export type EnqueueFn = (queue: QueueName, payload: unknown) => Promise<EnqueueResult>;
/** Returns the parsed payload or throws with a message naming what is wrong. */
export type ValidatePayloadFn = (queue: QueueName, data: unknown) => unknown;

export interface BoardOptions {
  basePath: string;
  queues: ReadonlyMap<QueueName, Queue>;
  readOnly: boolean;
  insecureLocal: boolean;
  logger: Logger;
  enqueue?: EnqueueFn | undefined;
  validatePayload?: ValidatePayloadFn | undefined;
  /** JSON Schema per queue for Bull Board's "add job" editor. */
  jobDataSchemas?: Partial<Record<QueueName, Record<string, unknown>>> | undefined;
  maxBodyBytes: number;
}

/** Routes that delete jobs or queues wholesale. */
export function isDestructive(method: string, path: string): boolean {
  if (method.toUpperCase() !== "PUT") return false;
  return /^\/api\/queues\/[^/]+\/(obliterate|empty|clean\/[^/]+)$/.test(path);
}

const isQueueName = (s: string): s is QueueName => (QUEUE_NAMES as readonly string[]).includes(s);

/** "invalid <queue> payload: …" said once, whether or not the validator's message already says it. */
function invalidPayloadMessage(queue: QueueName, err: unknown): string {
  const message = errorMessage(err);
  return message.startsWith(`invalid ${queue} payload: `) ? message : `invalid ${queue} payload: ${message}`;
}

function bbError(res: Response, status: number, key: string, message: string): void {
  res.status(status).json({ error: { key }, message });
}

/** `payload` with `requestedBy` set to `by` (or removed when `by` is undefined); non-objects are returned as they are. */
function withRequestedBy(payload: unknown, by: string | undefined): unknown {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return payload;
  const { requestedBy: _ignored, ...rest } = payload as Record<string, unknown>;
  return by === undefined ? rest : { ...rest, requestedBy: by };
}

function buildBoard(opts: BoardOptions, readOnly: boolean): Router {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(opts.basePath);
  const uiConfig: UIConfig = {
    boardTitle: "mlq queues",
    miscLinks: [{ text: "Status page", url: "/" }],
    hideDocsLink: true,
    ...(opts.insecureLocal
      ? { environment: { label: "INSECURE LOCAL MODE: no authentication", color: "#b91c1c" } }
      : readOnly
        ? { environment: { label: "read-only", color: "#374151" } }
        : {}),
  };
  createBullBoard({
    queues: [...opts.queues.entries()].map(
      ([name, q]) => new BullMQAdapter(q, { readOnlyMode: readOnly, allowRetries: !readOnly, ...(opts.jobDataSchemas?.[name] ? { jobDataSchema: opts.jobDataSchemas[name] } : {}) }),
    ),
    serverAdapter: adapter,
    options: { uiConfig },
  });
  return adapter.getRouter() as Router;
}

export function createBoardRouter(opts: BoardOptions): Router {
  const writable = buildBoard(opts, opts.readOnly);
  const readOnlyBoard = opts.readOnly ? writable : buildBoard(opts, true);
  const router = Router();
  const json = express.json({ limit: opts.maxBodyBytes });

  // Nobody but an admin of a writable dashboard changes anything.
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method === "GET" || req.method === "HEAD") return next();
    const role = roleOf(res);
    if (opts.readOnly || role !== "admin") {
      const what = isDestructive(req.method, req.path) ? "destructive action" : "change";
      return bbError(res, 403, "ERRORS.FORBIDDEN", opts.readOnly ? `${what} refused: the dashboard is read-only` : `${what} refused: the ${role} role is read-only`);
    }
    next();
  });

  // A retrain re-adds the search candidates it finds missing on its next pass, so removing them here
  // would only start them again; cancelling the retrain stops its children for good.
  router.put("/api/queues/:queueName/:jobId/remove-unprocessed-children", (req: Request, res: Response) => {
    const id = String(req.params.jobId);
    bbError(res, 409, "ERRORS.JOB_UNPROCESSED_CHILDREN_NOT_SUPPORTED", `removing the children of ${id} is refused: the retrain adds missing candidates again; run \`mlq cancel ${id}\` to stop it and its children`);
  });

  router.post("/api/queues/:queueName/add", json, (req: Request, res: Response, next: NextFunction) => {
    const queue = String(req.params.queueName);
    if (!isQueueName(queue)) return bbError(res, 404, "ERRORS.QUEUE_NOT_FOUND", `unknown queue ${queue}`);
    if (!opts.validatePayload || !opts.enqueue)
      return bbError(res, 501, "ERRORS.INTERNAL_SERVER_ERROR", "adding jobs is not wired in this dashboard (validatePayload/enqueue missing); use `mlq retrain --force`");
    const body = (req.body ?? {}) as { name?: unknown; data?: unknown };
    let payload: unknown;
    try {
      const validate = opts.validatePayload;
      payload = validate(queue, withRequestedBy(validate(queue, body.data ?? {}), `dashboard:${principalOf(res)}`));
    } catch (err) {
      return bbError(res, 400, "ERRORS.INVALID_REQUEST_BODY", invalidPayloadMessage(queue, err));
    }
    opts.enqueue(queue, payload).then(
      (r) => {
        opts.logger.info("dashboard: job enqueued", { queue, jobId: r.jobId, deduplicated: r.deduplicated, role: roleOf(res) });
        res.status(200).json({ job: { id: r.jobId, name: typeof body.name === "string" ? body.name : queue, data: payload }, status: "waiting", deduplicated: r.deduplicated, message: r.message });
      },
      (err: unknown) => next(err),
    );
  });

  router.patch("/api/queues/:queueName/:jobId/update-data", json, (req: Request, res: Response, next: NextFunction) => {
    const queue = String(req.params.queueName);
    if (!isQueueName(queue)) return bbError(res, 404, "ERRORS.QUEUE_NOT_FOUND", `unknown queue ${queue}`);
    const validate = opts.validatePayload;
    if (!validate) return bbError(res, 501, "ERRORS.INTERNAL_SERVER_ERROR", "editing job data is disabled: no payload validator is wired");
    // Bull Board sends the new data as `jobData` and writes exactly that.
    const body = (req.body ?? {}) as { jobData?: unknown };
    try {
      validate(queue, body.jobData);
    } catch (err) {
      return bbError(res, 400, "ERRORS.INVALID_REQUEST_BODY", invalidPayloadMessage(queue, err));
    }
    opts.queues
      .get(queue)!
      .getJob(String(req.params.jobId))
      .then((job) => {
        if (!job) return bbError(res, 404, "ERRORS.JOB_NOT_FOUND", `job ${String(req.params.jobId)} not found in ${queue}`);
        const original = (job.data as { requestedBy?: unknown } | undefined)?.requestedBy;
        req.body = { ...body, jobData: validate(queue, withRequestedBy(body.jobData, typeof original === "string" ? original : undefined)) };
        next();
      })
      .catch(next);
  });

  // Bull Board parses other JSON bodies itself (100 kB); cap them too.
  router.use(json);
  router.use((req: Request, res: Response, next: NextFunction) => {
    const board = opts.readOnly || roleOf(res) !== "admin" ? readOnlyBoard : writable;
    board(req, res, next);
  });
  return router;
}
