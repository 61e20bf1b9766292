/**
 * @module core/webhook-failing
 * The `webhook_failing` alert (subject `product`, warning), pure: what the webhook consumer (worker/queues/webhooks)
 * reports of one batch's lane of a product, and the alert that report raises (coordinator/policies/webhook-failing).
 *
 * An operator who relies on the webhook for alerts heard nothing when it failed: every delivery ended as a dead
 * letter, and the alerts list, the health badge and Prometheus all read as if nothing were wrong. The alert opens on
 * the first delivery dead-lettered after its last try, counts those that follow, and is resolved by the next
 * delivery the receiver takes (or by removing the webhook). Its changes are not sent to the webhook
 * (coordinator/policies/alerts `save`): its `alert.opened` would go to the very receiver that fails and become one
 * more dead letter per incident; the dashboard, `gigafactory alerts`, `GET …/health` and the metrics show it.
 */
import { z } from "zod";
import type { AlertInput } from "./alerts.ts";
import { truncateUtf8, utf8Text } from "./bytes.ts";
import { WEBHOOK_LAST_TRY } from "./webhook-signature.ts";

/** Bytes (UTF-8) of the last failure an alert quotes: a receiver's status line, or a connection error in words. */
export const LAST_ERROR_BYTES = 300;

/**
 * One lane's outcome (one product's messages of one batch, in order), as the consumer sends it — at most one call a
 * batch a product, and only when there is something to say (worker/queues/webhook-lane):
 *   `{delivered: true}` — the lane's last settled delivery was taken, and the alert was live: resolve it;
 *   `{deadLettered: n, lastError}` — n ≥ 1 deliveries dead-lettered after their last try since the lane's last
 *   success, the last one failing with `lastError`.
 */
export const WebhookLaneReportSchema = z.union([
  z.object({ delivered: z.literal(true) }).strict(),
  z
    .object({
      deadLettered: z.number().int().min(1).max(10_000),
      lastError: utf8Text(4 * LAST_ERROR_BYTES, z.string()),
    })
    .strict(),
]);
export type WebhookLaneReport = z.infer<typeof WebhookLaneReportSchema>;

/**
 * The alert for `count` deliveries dead-lettered (since the alert opened) to the receiver at `host`, the last one's
 * failure `lastError` (cut to LAST_ERROR_BYTES): how many, why, and what to do.
 */
export function webhookFailingAlert(count: number, lastError: string, host: string): AlertInput {
  // How many and why first: a narrow terminal wraps the message, and the first line is what a glance reads.
  const what = count === 1 ? "1 webhook delivery" : `${count} webhook deliveries`;
  return {
    kind: "webhook_failing",
    severity: "warning",
    subject: "product",
    message:
      `${what} dead-lettered after all ${WEBHOOK_LAST_TRY} tries; the last: ` +
      `${truncateUtf8(lastError, LAST_ERROR_BYTES)}. Check the receiver at ${host}, then redrive them: ` +
      "gigafactory dead-letters, then gigafactory dead-letters redrive ID",
  };
}

/** A fetch error in words: the receiver's host could not be reached, and what the runtime said (kept, in brackets). */
export function unreachableText(where: string, runtimeSaid: string): string {
  return `${where} could not be reached: connection refused, reset or timed out (${runtimeSaid})`;
}

/** A try the delivery timeout ended, in words. */
export function timedOutText(where: string, timeoutMs: number): string {
  return `${where} did not answer within ${timeoutMs / 1000} s (timed out)`;
}
