// A webhook that keeps failing is no longer silent (core/webhook-failing): through the real webhook queue consumer
// and a receiver stand-in, a delivery refused on all WEBHOOK_LAST_TRY tries opens a `webhook_failing` alert (warning,
// subject product) saying how many, the last error in words — the receiver's status, or "could not be reached:
// connection refused, reset or timed out" where workerd says only "Network connection lost." — and the fix; the
// product's health is no longer "healthy". A later delivery the receiver takes resolves it, in one coordinator call
// for the batch, and while no alert is live a successful delivery costs no call beyond its target read (counted on
// the coordinator calls the consumer makes). Removing the webhook resolves it too. The alert's own changes queue
// no webhook delivery: they would go to the receiver that fails, one more dead letter per incident.
import { createExecutionContext, createMessageBatch, env, getQueueResult, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { WEBHOOK_LAST_TRY } from "../../src/core/webhook-signature.ts";
import worker from "../../src/worker/index.ts";
import type { WebhookMessage } from "../../src/worker/queues/webhooks.ts";
import { ADMIN, alertsOf, api, P } from "./client.ts";
import { deliverWebhooks, HOOK_URL, receiver } from "./webhook-receiver.ts";

let hook: ReturnType<typeof receiver> | undefined;
afterEach(() => hook?.restore());

const message = (productId: string, deliveryId: string, seq = 1): WebhookMessage => ({
  kind: "webhook",
  productId,
  body: { deliveryId, seq, productId, type: "job.stage", at: 1 },
});

async function hookUp(product: string): Promise<void> {
  const put = await api("PUT", `${P(product)}/webhook`, {
    token: ADMIN,
    json: { url: `${HOOK_URL}/failing-${product}`, secret: "s3cret-of-sixteen-chars" },
  });
  expect(put.status).toBe(200);
}

/** Delivers one message on each try from 1 to WEBHOOK_LAST_TRY, as the queue would; the last try's result. */
async function allTries(product: string, id: string) {
  for (let attempts = 1; attempts < WEBHOOK_LAST_TRY; attempts++) {
    const r = await deliverWebhooks([{ id, body: message(product, `dlv_${id}`), attempts }]);
    expect(r.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual([id]);
    expect((await alertsOf(product)).filter((a) => a.kind === "webhook_failing")).toEqual([]);
  }
  return deliverWebhooks([{ id, body: message(product, `dlv_${id}`), attempts: WEBHOOK_LAST_TRY }]);
}

/**
 * Hands `messages` to the webhook queue consumer as one batch, through an `env` whose coordinators count the calls
 * the consumer makes (`calls`, by method name): only this batch's, not those of the worker's own queue, which
 * may deliver other records meanwhile.
 */
async function countedBatch(messages: Array<{ id: string; body: unknown; attempts: number }>) {
  const calls = new Map<string, number>();
  const counting = {
    ...env,
    COORDINATOR: {
      getByName: (name: string) => {
        const real = env.COORDINATOR.getByName(name) as unknown as Record<string, (...a: unknown[]) => unknown>;
        return new Proxy(
          {},
          {
            get:
              (_, prop: string) =>
              (...a: unknown[]) => {
                calls.set(prop, (calls.get(prop) ?? 0) + 1);
                return real[prop]?.(...a);
              },
          },
        );
      },
    },
  } as unknown as Env;
  const batch = createMessageBatch(
    "gigafactory-webhooks",
    messages.map((m) => ({ ...m, timestamp: new Date() })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch, counting, ctx);
  return { result: await getQueueResult(batch, ctx), calls: Object.fromEntries(calls) };
}

/** The last outbox seq the product's coordinator gave (every record it queued, webhook deliveries among them). */
const lastOutboxSeq = (product: string) =>
  runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) =>
    Number(
      state.storage.sql.exec<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").toArray()[0]
        ?.seq ?? 0,
    ),
  );

const failingAlerts = async (product: string) => (await alertsOf(product)).filter((a) => a.kind === "webhook_failing");

describe("webhook_failing", () => {
  it("opens after the last try, counts, reads in words, makes health not healthy, and a later success resolves it", async () => {
    const product = "wf-dead";
    await hookUp(product);
    let down: "503" | "refused" | "up" = "503";
    // Only this test's deliveries are answered so: the worker's own queue's (the alert's records) are refused and
    // retried later, so none of them resolves the alert before the batch that should.
    hook = receiver((r) => {
      if (r.body.productId !== product) return 200;
      if (!r.body.deliveryId.startsWith("dlv_wf")) return 503;
      if (down === "up") return 200;
      if (down === "refused") throw new Error("Network connection lost.");
      return 503;
    });
    const seqBefore = await lastOutboxSeq(product);
    const last = await allTries(product, "wf1");
    expect(last.explicitAcks).toEqual(["wf1"]);
    // Not sent to the receiver that fails: it would be one more dead letter in the list the alert points to.
    expect(await lastOutboxSeq(product)).toBe(seqBefore);
    const [open] = await failingAlerts(product);
    expect(open).toMatchObject({ kind: "webhook_failing", severity: "warning", subject: "product", state: "open" });
    expect(open?.message).toBe(
      `1 webhook delivery dead-lettered after all ${WEBHOOK_LAST_TRY} tries; the last: ` +
        "http://127.0.0.1:8787/… answered 503. Check the receiver at 127.0.0.1:8787, then redrive them: " +
        "gigafactory dead-letters, then gigafactory dead-letters redrive ID",
    );
    const health = await api<{ status: string; openAlerts: { warning: number } }>("GET", `${P(product)}/health`, {
      token: ADMIN,
    });
    expect(health.body.status).not.toBe("healthy");
    expect(health.body.openAlerts.warning).toBeGreaterThanOrEqual(1);

    // A refused connection: workerd's "Network connection lost." told nobody why; the count goes on.
    down = "refused";
    await deliverWebhooks([{ id: "wf2", body: message(product, "dlv_wf2", 2), attempts: WEBHOOK_LAST_TRY }]);
    const [again] = await failingAlerts(product);
    expect(again?.id).toBe(open?.id);
    expect(again?.message).toContain("2 webhook deliveries dead-lettered");
    expect(again?.message).toContain(
      "the last: http://127.0.0.1:8787 could not be reached: connection refused, reset or timed out",
    );
    const dl = await api<{ items: Array<{ id: string; reason: string }> }>("GET", `${P(product)}/dead-letters`, {
      token: ADMIN,
    });
    const reason = dl.body.items.find((d) => d.id === "wf2")?.reason ?? "";
    expect(reason).toContain("could not be reached: connection refused, reset or timed out");
    expect(reason).not.toContain("Error: Network connection lost.");

    // The receiver is back: one batch of three deliveries, one call to resolve the alert beyond the target reads.
    down = "up";
    const ok = await countedBatch(
      ["wf3", "wf4", "wf5"].map((id, i) => ({ id, body: message(product, `dlv_${id}`, 3 + i), attempts: 1 })),
    );
    expect(ok.result.explicitAcks).toEqual(["wf3", "wf4", "wf5"]);
    expect(ok.calls).toEqual({ webhookTarget: 3, webhookLane: 1 });
    const resolved = (await alertsOf(product, "resolved")).filter((a) => a.kind === "webhook_failing");
    expect(resolved.map((a) => a.id)).toEqual([open?.id]);
    expect((await failingAlerts(product)).filter((a) => a.state !== "resolved")).toEqual([]);

    // With no alert live, a successful delivery costs its target read and nothing else.
    const quiet = await countedBatch(
      ["wf6", "wf7"].map((id, i) => ({ id, body: message(product, `dlv_${id}`, 6 + i), attempts: 1 })),
    );
    expect(quiet.result.explicitAcks).toEqual(["wf6", "wf7"]);
    expect(quiet.calls).toEqual({ webhookTarget: 2 });
  });

  it("removing the webhook resolves it: nothing is delivered any more, so nothing can fail", async () => {
    const product = "wf-removed";
    await hookUp(product);
    hook = receiver((r) => (r.body.productId === product ? 503 : 200));
    await deliverWebhooks([{ id: "wr1", body: message(product, "dlv_wr1"), attempts: WEBHOOK_LAST_TRY }]);
    expect((await failingAlerts(product)).map((a) => a.state)).toEqual(["open"]);
    const del = await api("DELETE", `${P(product)}/webhook`, { token: ADMIN });
    expect(del.status).toBe(200);
    expect((await failingAlerts(product)).map((a) => a.state)).toEqual(["resolved"]);
  });
});
