// The webhook consumer re-validates the product a message's body names (worker/queues/webhooks
// `WebhookMessageSchema`): a message of product A whose body says product B is never POSTed — it would reach A's
// receiver, signed with A's secret, as a change of B — but kept at once as a malformed dead letter with the reason,
// and acked. Redrive refused such a message; its first delivery had sent it. One naming its own product is sent.
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { handleQueue } from "../../src/worker/queues/consumers.ts";
import { batchOf } from "./queue-batch-fake.ts";

afterEach(() => vi.restoreAllMocks());

const target = { url: "http://127.0.0.1:8787/product-check-hook", secret: "s3cret-of-sixteen-chars" };
const hooked = {
  ...env,
  COORDINATOR: { getByName: () => ({ webhookTarget: async () => ({ ok: true, value: target }) }) },
} as unknown as Env;

describe("webhook queue: the product a message's body names", () => {
  it("another product's: not sent, kept as a malformed dead letter, acked; its own: sent", async () => {
    const fetch = vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(null, { status: 200 }));
    const { batch, acked, retried } = batchOf("gigafactory-webhooks", 2, 1, (i) => ({
      kind: "webhook",
      productId: "wmp-a",
      body: { deliveryId: `dlv_wmp_${i}`, type: "job.stage", seq: 1, productId: i === 0 ? "wmp-b" : "wmp-a" },
    }));
    await handleQueue(batch, hooked);
    expect(retried.size).toBe(0);
    expect(acked.sort()).toEqual(["gigafactory-webhooks-0", "gigafactory-webhooks-1"]);
    expect(fetch).toHaveBeenCalledTimes(1);
    const sent = JSON.parse(String((fetch.mock.calls[0]?.[1] as RequestInit | undefined)?.body));
    expect(sent.deliveryId).toBe("dlv_wmp_1");
    const row = await env.DB.prepare("SELECT reason, product_id AS p FROM dead_letters WHERE id = ?")
      .bind("gigafactory-webhooks-0")
      .first<{ reason: string; p: string }>();
    expect(row).toEqual({ reason: "malformed message: its body names another product than its message", p: "wmp-a" });
  });
});
