// A bulk batch's item the queue consumer refused stays refused when the queue delivers its message again (at least
// once: an ack lost, a message retried because its refusals could not be kept), even if the product changed in
// between so that a new submission would now pass. Before, the redelivery made the job while the batch still read
// `rejected` for good — a client that had resubmitted the refused item another way then had two jobs. An item of the
// same batch under the same key refused in the route (another request than the one queued) does not make the queued
// one sticky: it is created.
import { describe, expect, it } from "vitest";
import { batchView, deliver, heldQueue, postBatch } from "./batch-client.ts";
import { ADMIN, api, claim, createProduct, enroll, P, submit } from "./client.ts";

const titles = async (product: string) =>
  (await api<{ jobs: Array<{ title: string }> }>("GET", `${P(product)}/jobs`, { token: ADMIN })).body.jobs
    .map((j) => j.title)
    .sort();

describe("a bulk batch's message delivered again", () => {
  it("keeps an item the consumer refused rejected, and makes no job of it, though it would pass now", async () => {
    const product = "batch-redelivered-refusal";
    await createProduct(product);
    const parent = await submit(product, { title: "parent" });
    const q = heldQueue();
    const batchId = await postBatch(product, q.env, [{ manifest: { title: "child", parentId: parent.id } }]);
    // The parent is taken by a factory before the message arrives: it can no longer take a child.
    const factory = await enroll(product, "f1");
    expect((await claim(product, factory.token)).body.job.id).toBe(parent.id);
    expect(q.held).toHaveLength(1);
    await deliver("gigafactory-dispatch", q.held);
    const refused = await batchView(product, batchId);
    expect(refused).toMatchObject({
      done: true,
      items: [{ index: 0, status: "rejected", code: "illegal_transition" }],
    });

    // The parent is back in the queue, where it could take a child: the same message comes again.
    const requeue = await api("POST", `${P(product)}/jobs/${parent.id}/actions/requeue`, { token: ADMIN, json: {} });
    expect(requeue.status).toBe(200);
    await deliver("gigafactory-dispatch", q.held);
    expect(await batchView(product, batchId)).toEqual(refused);
    expect(await titles(product)).toEqual(["parent"]);
  });

  it("still creates a queued item whose key another item of its batch was refused under", async () => {
    const product = "batch-redelivered-twin";
    await createProduct(product);
    const q = heldQueue();
    const batchId = await postBatch(product, q.env, [
      { manifest: { title: "first", idempotencyKey: "twin" } },
      { manifest: { title: "second", idempotencyKey: "twin" } }, // another request under item 0's key: 409 here
    ]);
    expect(await batchView(product, batchId)).toMatchObject({
      items: [
        { index: 0, status: "queued" },
        { index: 1, status: "rejected", code: "conflict" },
      ],
    });
    await deliver("gigafactory-dispatch", q.held);
    const view = await batchView(product, batchId);
    expect(view).toMatchObject({
      done: true,
      items: [
        { index: 0, status: "created" },
        { index: 1, status: "rejected", code: "conflict" },
      ],
    });
    expect(await titles(product)).toEqual(["first"]);
  });
});
