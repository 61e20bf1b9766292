// Every dead letter a queue consumer keeps has a reason of at most 1 KiB of UTF-8, cut on a character boundary, however
// long the failure it quotes: the bound is applied where dead letters are kept (worker/queues/dead-letters), so a
// consumer cannot forget it. The dispatch consumer's refused items had kept the coordinator's message whole.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { utf8Bytes } from "../../src/core/bytes.ts";
import worker from "../../src/worker/index.ts";
import { DEAD_LETTER_REASON_BYTES } from "../../src/worker/queues/dead-letters.ts";
import type { DispatchMessage } from "../../src/worker/queues/messages.ts";

describe("a dispatch message whose items the coordinator refuses with a long message", () => {
  it("keeps each refused item with its reason cut to 1 KiB on a character boundary", async () => {
    const product = "dl-reason-bound";
    const long = `unknown dependency ${"漢".repeat(2000)}`; // 6 KB of UTF-8, 3 bytes a character
    const refusing = {
      ...env,
      COORDINATOR: {
        getByName: () => ({
          submitMany: () => Promise.resolve({ ok: true, value: [{ ok: false, code: "bad_request", message: long }] }),
        }),
      },
    } as unknown as Env;
    const body: DispatchMessage = {
      kind: "submit",
      productId: product,
      actor: "op",
      origin: "tracker:test",
      items: [{ manifest: { title: "refused" }, bodyMd: "" } as DispatchMessage["items"][number]],
    };
    const batch = createMessageBatch<DispatchMessage>("gigafactory-dispatch", [
      { id: "refused-long", timestamp: new Date(), attempts: 1, body },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch, refusing, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["refused-long"]);
    const row = await env.DB.prepare("SELECT reason FROM dead_letters WHERE id = ?")
      .bind("refused-long:0")
      .first<{ reason: string }>();
    expect(row).not.toBeNull();
    const reason = row?.reason ?? "";
    expect(utf8Bytes(reason)).toBeLessThanOrEqual(DEAD_LETTER_REASON_BYTES);
    expect(utf8Bytes(reason)).toBeGreaterThan(DEAD_LETTER_REASON_BYTES - 3); // cut at the bound, not before
    expect(`bad_request: ${long}`.startsWith(reason)).toBe(true); // a prefix: no half character, nothing replaced
  });
});

// A dead-letter-queue message is read leniently (it may be anything a queue gave up on), but what it says of itself is
// kept only when it is something this Worker sends: its kind (else `queue:unknown`) and its product (else none). Its
// kind had been kept as the source whole, `queue:` and 5,000 bytes of whatever the body said.
describe("a dead-letter-queue message of a shape this Worker never sends", () => {
  it("is kept under queue:unknown and no product, its body whole, and acked", async () => {
    const body = { kind: "k".repeat(5000), productId: "P".repeat(5000), payload: [1, 2, 3] };
    const batch = createMessageBatch("gigafactory-dlq", [{ id: "dlq-odd", timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["dlq-odd"]);
    const row = await env.DB.prepare("SELECT product_id AS productId, source, body FROM dead_letters WHERE id = ?")
      .bind("dlq-odd")
      .first<{ productId: string; source: string; body: string }>();
    expect(row).toMatchObject({ productId: "", source: "queue:unknown" });
    expect(JSON.parse(row?.body ?? "null")).toEqual(body);
  });
});
