/**
 * @module worker/queues/webhook-message
 * The webhook queue's message: one delivery (an alert change or a job stage change) of one product, as its
 * coordinator's outbox recorded it (outbox/webhook-records). The target URL and secret are NOT in the message:
 * the consumer reads them from the coordinator at send time, so the secret never travels through a queue and a
 * webhook removed or re-pointed meanwhile is honoured.
 */
import { z } from "zod";
import type { WebhookBody } from "../../durable-objects/coordinator/outbox/webhook-records.ts";
import { ProductId } from "../../shared/api.ts";

export interface WebhookMessage {
  kind: "webhook";
  productId: string;
  body: WebhookBody;
}

/** Consumers re-validate: a queue is a boundary too. The body stays open: it is forwarded as recorded. */
export const WebhookMessageSchema = z.object({
  kind: z.literal("webhook"),
  productId: ProductId,
  body: z.looseObject({ deliveryId: z.string().min(1).max(100), type: z.string().min(1).max(100) }),
});
