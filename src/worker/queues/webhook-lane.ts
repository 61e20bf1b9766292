/**
 * @module worker/queues/webhook-lane
 * What one batch's lane of a product (worker/queues/webhooks) tells its coordinator about the `webhook_failing`
 * alert (core/webhook-failing), in at most one call once the lane is done — and none at all for a lane that only
 * delivered while the alert was not live, or only retried: no call per successful delivery.
 *   - the lane's last settled delivery was taken and its target answer said the alert is live → `{delivered: true}`;
 *   - deliveries dead-lettered after their last try since the lane's last delivery → `{deadLettered, lastError}`.
 * A report that cannot be sent is logged (ALERT line) and dropped: the dead letters themselves are kept apart
 * (worker/queues/dead-letter-calls), and the next lane's report raises or resolves the alert again.
 */

import { truncateUtf8 } from "../../core/bytes.ts";
import { unwrap } from "../../core/errors.ts";
import { LAST_ERROR_BYTES, type WebhookLaneReport } from "../../core/webhook-failing.ts";
import { coordinatorFor } from "../auth.ts";

export class WebhookLane {
  /** The coordinator's last word on the alert (each try's target answer, policies/webhook `webhookTarget`). */
  failing = false;
  private deadLettered = 0;
  private lastError = "";
  private delivered = false;

  constructor(private readonly productId: string) {}

  /** A try was taken by the receiver (2xx): ends the lane's run of dead letters. */
  tookOne(): void {
    this.delivered = true;
    this.deadLettered = 0;
  }

  /** A delivery failed its last try with `failure` (in words: worker/queues/webhook-deliver) and is dead-lettered. */
  deadLetter(failure: string): void {
    this.delivered = false;
    this.deadLettered += 1;
    this.lastError = truncateUtf8(failure, LAST_ERROR_BYTES);
  }

  /** The report to send, if any (module header). */
  report(): WebhookLaneReport | undefined {
    if (this.deadLettered > 0) return { deadLettered: this.deadLettered, lastError: this.lastError };
    if (this.delivered && this.failing) return { delivered: true };
    return undefined;
  }

  /** Sends the report, if any, to the product's coordinator. Never throws. */
  async send(env: Env): Promise<void> {
    const report = this.report();
    if (!report) return;
    try {
      await unwrap(coordinatorFor(env, this.productId).webhookLane(this.productId, report));
    } catch (err) {
      console.error(`ALERT webhook_failing unreported product=${this.productId}: ${String(err)}`);
    }
  }
}
