/**
 * @module durable-objects/coordinator/rpc/alerts
 * The ProductCoordinator's RPC methods for alerts, health, the webhook and the tracker echo (issue 9, parts 5–6 and 8). One layer of the class chain
 * (rpc/fleet ← rpc/policy ← rpc/budget ← rpc/breakers ← rpc/alerts ← rpc/lessons ← rpc/metrics ← rpc/batches ← rpc/routing ← rpc/work ← ProductCoordinator):
 * each method is one atomic unit over a store module; it adds only what must follow the commit.
 */
import type { AlertState } from "../../../core/alerts.ts";
import type { WebhookLaneReport } from "../../../core/webhook-failing.ts";
import { assertTokenLive, type Caller } from "../access/tokens.ts";
import { linkedFactoryIds } from "../factories/fleet-view.ts";
import { ackAlert, listAlerts } from "../policies/alerts.ts";
import { runHealthPass } from "../policies/health-check.ts";
import { productHealthAnswer } from "../policies/health-summary.ts";
import {
  deleteWebhook,
  getWebhook,
  setWebhook,
  type WebhookTarget,
  webhookHost,
  webhookTarget,
} from "../policies/webhook.ts";
import { recordWebhookLane } from "../policies/webhook-failing.ts";
import { BreakerRpc } from "./breakers.ts";

export abstract class AlertRpc extends BreakerRpc {
  /** `GET …/alerts`: newest first, optionally of one state, keyset-paged. */
  async listAlerts(productId: string, q: { state?: AlertState; cursor?: string; limit: number }) {
    return this.units.run(productId, (tx) => listAlerts(tx.sql, q));
  }

  /** `POST …/alerts/{id}/ack` (operator, audited). */
  async ackAlert(productId: string, id: string, actor: string, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => ackAlert(tx, id, actor));
  }

  /** `GET …/health`: read-only, at the call's instant. */
  async productHealth(productId: string) {
    return this.units.run(productId, (tx) => productHealthAnswer(tx, linkedFactoryIds(this.ctx)));
  }

  /** One health pass now (the sweep runs one too); answers what it raised and cleared. */
  async checkHealth(productId: string) {
    return this.units.run(productId, (tx) => runHealthPass(tx, this.link.workReadyIds()));
  }

  /**
   * `byToken`: the operator token asking (none for the admin). A token revoked after the Worker authenticated it
   * sets nothing (401): the webhook's URL and secret would outlive the revocation, as a factory token it minted did.
   */
  async setWebhook(
    productId: string,
    target: WebhookTarget,
    actor: string,
    byToken: string | undefined,
    caller: Caller,
  ) {
    return this.units.runAs(caller, productId, (tx) => {
      assertTokenLive(tx.sql, byToken, "setting the webhook");
      return setWebhook(tx, target, actor);
    });
  }

  async getWebhook(productId: string) {
    return this.units.run(productId, (tx) => getWebhook(tx.sql));
  }

  async deleteWebhook(productId: string, actor: string, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => deleteWebhook(tx, actor));
  }

  /**
   * For the webhook consumer (worker/queues/webhooks) only: the target with its secret and whether `webhook_failing`
   * is live; null when none.
   */
  async webhookTarget(productId: string) {
    return this.units.run(productId, (tx) => webhookTarget(tx.sql));
  }

  /**
   * For the webhook consumer only: one batch's lane of this product (policies/webhook-failing) — raises, refreshes or
   * resolves `webhook_failing`; answers whether it is live after. Sent only when a lane dead-lettered a delivery, or
   * delivered one while the alert was live: never once per delivery.
   */
  async webhookLane(productId: string, report: WebhookLaneReport) {
    return this.units.run(productId, (tx) => recordWebhookLane(tx, report, webhookHost(tx.sql)));
  }
}
