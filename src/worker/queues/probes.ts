/**
 * @module worker/queues/probes
 * The outbox's probes (outbox/round-plan `probeQueue`): a message asking only whether a queue is up — an empty history
 * message, a `webhook_probe` — that carries no record. Its consumer acknowledges it unread; so does the dead-letter
 * queue's, should one land there (its consumer failed its batch through every retry): nothing was lost, and kept, each
 * was a dead letter and an ALERT line for nothing (the webhook probe under `queue:unknown`).
 */
import { z } from "zod";
import { ProductId } from "../../shared/api.ts";

/** The webhook queue's probe (worker/queues/webhooks `WebhookProbe`). */
export const WebhookProbeSchema = z.object({ kind: z.literal("webhook_probe"), productId: ProductId });

const HistoryProbeSchema = z.object({
  kind: z.literal("history"),
  productId: ProductId,
  records: z.array(z.unknown()).max(0),
});

/** Whether a queue message's `body` is one of the outbox's probes: a message with no record in it. */
export function isQueueProbe(body: unknown): boolean {
  return WebhookProbeSchema.safeParse(body).success || HistoryProbeSchema.safeParse(body).success;
}
