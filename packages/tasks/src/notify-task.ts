// The notify queue's task: one event, one signed POST to MLQ_NOTIFY_WEBHOOK_URL. A failed delivery
// throws (retryable unless the endpoint refused the event with a 4xx), so BullMQ retries it with
// the notify queue's own backoff; the job that raised the event finished long before.
import type { Config } from "@mlq/config";
import type { TaskIo } from "./task-io.js";
import { deliverWebhook, type WebhookEvent } from "./webhook.js";

export interface NotifyTaskSummary {
  readonly eventId: string;
  readonly type: string;
  readonly delivered: boolean;
  readonly status?: number;
  readonly durationMs?: number;
  readonly reason?: string;
}

export async function runNotifyTask(config: Pick<Config, "notify">, event: WebhookEvent, io: TaskIo): Promise<NotifyTaskSummary> {
  const { webhookUrl, secret, requestTimeoutMs } = config.notify;
  if (!webhookUrl || !secret) {
    io.logger.info("event not delivered: MLQ_NOTIFY_WEBHOOK_URL is not set on this worker", { eventId: event.id });
    return { eventId: event.id, type: event.type, delivered: false, reason: "MLQ_NOTIFY_WEBHOOK_URL is not set on this worker" };
  }
  const d = await deliverWebhook(event, { url: webhookUrl, secret, requestTimeoutMs, signal: io.signal });
  io.logger.info("event delivered", { eventId: event.id, type: event.type, status: d.status, durationMs: Math.round(d.durationMs) });
  return { eventId: event.id, type: event.type, delivered: true, status: d.status, durationMs: Math.round(d.durationMs) };
}
