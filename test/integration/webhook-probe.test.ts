// The webhook queue's consumer acknowledges the outbox's probe (a message asking only whether the queue is up, sent
// when a quiet product's refused delivery was all it sent the queue) without POSTing anything or keeping a dead
// letter, while the deliveries beside it in the batch go as usual.
import { afterEach, describe, expect, it } from "vitest";
import type { WebhookMessage, WebhookProbe } from "../../src/worker/queues/webhooks.ts";
import { ADMIN, api, P } from "./client.ts";
import { deliverWebhooks, HOOK_URL, receiver } from "./webhook-receiver.ts";

let hook: ReturnType<typeof receiver> | undefined;
afterEach(() => hook?.restore());

describe("webhook queue: the outbox's probe", () => {
  it("is acknowledged unsent, and its batch's delivery is POSTed", async () => {
    const product = "qw-probe";
    const put = await api("PUT", `${P(product)}/webhook`, {
      token: ADMIN,
      json: { url: `${HOOK_URL}/probe`, secret: "s3cret-of-sixteen-chars" },
    });
    expect(put.status).toBe(200);
    hook = receiver(() => 200);
    const probe: WebhookProbe = { kind: "webhook_probe", productId: product };
    const delivery: WebhookMessage = {
      kind: "webhook",
      productId: product,
      body: { deliveryId: "dlv_probe_1", seq: 1, productId: product, type: "job.stage", at: 1 },
    };
    const result = await deliverWebhooks([
      { id: "p1", body: probe, attempts: 1 },
      { id: "d1", body: delivery, attempts: 1 },
    ]);
    expect(result.retryMessages).toEqual([]);
    expect([...result.explicitAcks].sort()).toEqual(["d1", "p1"]);
    expect(hook.received.filter((r) => r.url.endsWith("/probe")).map((r) => r.body.deliveryId)).toEqual([
      "dlv_probe_1",
    ]);
    const dl = await api<{ items: Array<{ id: string; reason: string }> }>("GET", `${P(product)}/dead-letters`, {
      token: ADMIN,
    });
    expect(dl.body.items.map((d) => d.id)).toEqual([]);
  });
});
