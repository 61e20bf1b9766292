// The webhook queue's last delivery (worker/queues/webhooks `WEBHOOK_LAST_TRY`): a delivery the receiver still
// refuses is kept as a dead letter with the receiver's last answer as its reason (and a thrown error's URL cut to
// its origin), instead of moving to the dead-letter queue, which records only "delivery failed after all retries".
import { afterEach, describe, expect, it } from "vitest";
import { WEBHOOK_LAST_TRY, type WebhookMessage } from "../../src/worker/queues/webhooks.ts";
import { ADMIN, api, P } from "./client.ts";
import { deliverWebhooks, HOOK_URL, receiver } from "./webhook-receiver.ts";

let hook: ReturnType<typeof receiver> | undefined;
afterEach(() => hook?.restore());

const run = deliverWebhooks;

const message = (productId: string, deliveryId: string): WebhookMessage => ({
  kind: "webhook",
  productId,
  body: { deliveryId, seq: 1, productId, type: "job.stage", at: 1 },
});

describe("webhook queue: the last delivery", () => {
  it("keeps a delivery refused on the last attempt as a dead letter with the receiver's answer; retries earlier ones", async () => {
    const product = "qw-last";
    const put = await api("PUT", `${P(product)}/webhook`, {
      token: ADMIN,
      json: { url: `${HOOK_URL}/secret-path`, secret: "s3cret-of-sixteen-chars" },
    });
    expect(put.status).toBe(200);
    hook = receiver(() => 503);
    const result = await run([
      { id: "w1", body: message(product, "dlv_a"), attempts: WEBHOOK_LAST_TRY - 1 },
      { id: "w2", body: message(product, "dlv_b"), attempts: WEBHOOK_LAST_TRY },
    ]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["w1"]);
    expect(result.explicitAcks).toEqual(["w2"]);
    const dl = await api<{ items: Array<{ id: string; source: string; reason: string }> }>(
      "GET",
      `${P(product)}/dead-letters`,
      { token: ADMIN },
    );
    expect(dl.body.items).toEqual([
      expect.objectContaining({
        id: "w2",
        source: "queue:webhook",
        reason: `webhook delivery failed on all ${WEBHOOK_LAST_TRY} attempts; the last: http://127.0.0.1:8787/… answered 503`,
      }),
    ]);
  });
});
