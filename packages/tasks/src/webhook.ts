// Delivering one event to MLQ_NOTIFY_WEBHOOK_URL: a JSON POST signed the Standard Webhooks way
// (https://www.standardwebhooks.com): headers webhook-id, webhook-timestamp (Unix seconds) and
// webhook-signature `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`. The key is the
// base64 after `whsec_` when the secret has that form (so any Standard Webhooks library verifies
// it), else the secret's UTF-8 bytes. Each attempt signs afresh with its own timestamp; the id
// stays the event's, so a receiver can drop a redelivery it has already processed.
import { createHmac, timingSafeEqual } from "node:crypto";
import { errorMessage, MlqError, type MlqErrorOptions } from "@mlq/core";

/** A delivery that did not get a 2xx. `retryable` false for a 4xx other than 408/429: the endpoint refuses the event itself. */
export class WebhookDeliveryError extends MlqError {
  constructor(message: string, retryable: boolean, options?: MlqErrorOptions) {
    super("WEBHOOK_DELIVERY", message, retryable, options);
    this.name = "WebhookDeliveryError";
  }
}

export function webhookKey(secret: string): Buffer {
  return secret.startsWith("whsec_") ? Buffer.from(secret.slice("whsec_".length), "base64") : Buffer.from(secret, "utf8");
}

/** The `webhook-signature` header value for one delivery. */
export function signWebhook(secret: string, id: string, timestampSec: number, body: string): string {
  return `v1,${createHmac("sha256", webhookKey(secret)).update(`${id}.${timestampSec}.${body}`).digest("base64")}`;
}

/**
 * A receiver's check (used by the tests, and the reference for the README's snippet): one of the
 * space-separated `v1,` signatures matches and the timestamp is within `toleranceSec` of `nowSec`.
 */
export function verifyWebhook(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  nowSec: number,
  toleranceSec = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSec - ts) > toleranceSec) return false;
  const expected = Buffer.from(signWebhook(secret, headers.id, ts, body));
  return headers.signature.split(" ").some((s) => {
    const got = Buffer.from(s);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

export interface WebhookEvent {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly summary: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface DeliverOptions {
  readonly url: string;
  readonly secret: string;
  readonly requestTimeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly nowMs?: number | undefined;
  readonly userAgent?: string | undefined;
}

export interface Delivery {
  readonly status: number;
  readonly durationMs: number;
  readonly timestampSec: number;
}

/** The JSON body of an event, as signed and sent. */
export function webhookBody(event: WebhookEvent): string {
  return JSON.stringify({ id: event.id, type: event.type, occurred_at: event.occurredAt, summary: event.summary, data: event.data });
}

/** POSTs one event; resolves on a 2xx, throws WebhookDeliveryError otherwise (timeouts and network errors are retryable). */
export async function deliverWebhook(event: WebhookEvent, opts: DeliverOptions): Promise<Delivery> {
  const body = webhookBody(event);
  const timestampSec = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  const timeout = AbortSignal.timeout(opts.requestTimeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const host = safeHost(opts.url);
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(opts.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": opts.userAgent ?? "mlq-notify",
        "webhook-id": event.id,
        "webhook-timestamp": String(timestampSec),
        "webhook-signature": signWebhook(opts.secret, event.id, timestampSec, body),
      },
      body,
      signal,
      redirect: "manual",
    });
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error(String(opts.signal.reason));
    const why = timeout.aborted ? `no answer within ${opts.requestTimeoutMs} ms` : errorMessage((err as { cause?: unknown }).cause ?? err);
    throw new WebhookDeliveryError(`webhook ${host}: ${why}`, true, { cause: err, context: { eventId: event.id } });
  }
  // The body is not needed; reading it frees the connection.
  await res.arrayBuffer().catch(() => undefined);
  const durationMs = performance.now() - started;
  if (res.status >= 200 && res.status < 300) return { status: res.status, durationMs, timestampSec };
  const retryable = res.status >= 500 || res.status === 408 || res.status === 429 || (res.status >= 300 && res.status < 400);
  throw new WebhookDeliveryError(
    `webhook ${host} answered ${res.status}${retryable ? "" : " (the endpoint refuses the event: not retried)"}`,
    retryable,
    {
      context: { eventId: event.id, status: res.status },
    },
  );
}

/** The URL's origin only: a webhook URL's path often holds its own secret (Slack, Discord). */
function safeHost(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}
