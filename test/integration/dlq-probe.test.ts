// The outbox's probes — a message asking only whether a queue is up (outbox/round-plan `probeQueue`: an empty history
// message, a webhook_probe), carrying no record — are acknowledged by the dead-letter queue's consumer and kept
// nowhere, should one ever land there (its consumer failed its batch through every retry): kept, each was a dead
// letter and an ALERT line for nothing lost (queue:unknown for the webhook probe). A real dead letter beside them in
// the batch is kept as before.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";

describe("the outbox's probes on the dead-letter queue", () => {
  it("are acknowledged and kept nowhere; a real dead letter beside them is kept", async () => {
    const product = "dlq-probe";
    const real = { kind: "webhook", productId: product, body: { deliveryId: "dlv_dlq_1", seq: 1, productId: product } };
    const batch = createMessageBatch("gigafactory-dlq", [
      {
        id: "dlq-webhook-probe",
        timestamp: new Date(),
        attempts: 1,
        body: { kind: "webhook_probe", productId: product },
      },
      {
        id: "dlq-history-probe",
        timestamp: new Date(),
        attempts: 1,
        body: { kind: "history", productId: product, records: [] },
      },
      { id: "dlq-real", timestamp: new Date(), attempts: 1, body: real },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch, env, ctx);
    expect([...(await getQueueResult(batch, ctx)).explicitAcks].sort()).toEqual([
      "dlq-history-probe",
      "dlq-real",
      "dlq-webhook-probe",
    ]);
    const rows = await env.DB.prepare("SELECT id FROM dead_letters WHERE id LIKE 'dlq-%' ORDER BY id").all<{
      id: string;
    }>();
    expect(rows.results.map((r) => r.id)).toEqual(["dlq-real"]);
  });
});
