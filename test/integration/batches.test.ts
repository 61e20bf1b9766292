// Proves a bulk batch can be read back by the id its answer gave (GET …/batches/{batchId}): every item with its job
// once the dispatch queue delivered it, rejected items for good, `done` only when no item is still queued; a repeat
// batch is done at once (its jobs exist), its items `existing`, not `created`; a job under an item's key from another request makes the item rejected
// (conflict), and so does a refusal the queue consumer met (a parent that ended); an unknown batch is 404
// problem+json; a viewer may read; the retention pass forgets batches.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BatchView } from "../../src/shared/api-batches.ts";
import { ADMIN, api, P, submit, until } from "./client.ts";

const DAY = 86_400_000;

const post = <T = object>(product: string, items: unknown[]) =>
  api<{ batchId: string } & T>("POST", `${P(product)}/jobs:batch`, { token: ADMIN, json: { items } });
const read = (product: string, id: string, token = ADMIN) =>
  api<BatchView>("GET", `${P(product)}/batches/${id}`, { token });

describe("GET …/batches/{batchId}", () => {
  it("reports each item's job once it exists, rejected items for good, and done only at the end", async () => {
    const product = "batch-read";
    const items = [{ markdown: "# one" }, { manifest: { title: "" } }, { manifest: { title: "three" } }];
    const r = await post(product, items);
    expect(r.status).toBe(202);
    const first = await read(product, r.body.batchId);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: r.body.batchId, total: 3, rejected: 1 });
    expect(first.body.created + first.body.queued).toBe(2);
    expect(first.body.done).toBe(first.body.queued === 0);
    expect(first.body.items[1]).toMatchObject({ index: 1, status: "rejected", code: "invalid_manifest" });

    const done = await until(
      async () => (await read(product, r.body.batchId)).body,
      (b) => b.done,
    );
    expect(done).toMatchObject({ total: 3, created: 2, queued: 0, rejected: 1 });
    for (const i of [0, 2]) {
      const jobId = done.items[i]!.jobId!;
      const job = await api<{ title: string }>("GET", `${P(product)}/jobs/${jobId}`, { token: ADMIN });
      expect(job.body.title).toBe(i === 0 ? "one" : "three");
    }

    expect(done.existing).toBe(0);
    // The same batch again: its jobs exist, so the new batch is done in its first answer — its items `existing`, as a
    // single submit's, not `created` (a re-sent bulk batch said "12 created" with the first batch's jobs, pass 43).
    const again = await post<{ items: { status: string }[] }>(product, items);
    expect(again.body.items.map((i) => i.status)).toEqual(["exists", "exists"]);
    const second = (await read(product, again.body.batchId)).body;
    expect(second).toMatchObject({ created: 0, existing: 2, queued: 0, rejected: 1, done: true });
    expect(second.items.map((i) => i.status)).toEqual(["existing", "rejected", "existing"]);
    expect(second.items.map((i) => i.jobId)).toEqual(done.items.map((i) => i.jobId));
  });

  it("marks an item rejected when the queue consumer refuses it, so the batch is done", async () => {
    // A parent that ended cannot be given a child: only the consumer's submit can tell (the route checks the schema).
    const product = "batch-consumer-refusal";
    const parent = await submit(product, { title: "ended" });
    expect(
      (await api("POST", `${P(product)}/jobs/${parent.id}/actions/cancel`, { token: ADMIN, json: {} })).status,
    ).toBe(200);
    const r = await post(product, [
      { manifest: { title: "ok" } },
      { manifest: { title: "late", parentId: parent.id } },
    ]);
    expect(r.status).toBe(202);
    const done = await until(
      async () => (await read(product, r.body.batchId)).body,
      (b) => b.done,
    );
    expect(done).toMatchObject({ total: 2, created: 1, queued: 0, rejected: 1 });
    expect(done.items[1]).toMatchObject({ index: 1, status: "rejected", code: "illegal_transition" });
  });

  it("marks an item rejected (conflict) when its key names another request's job", async () => {
    const product = "batch-conflict";
    const job = await submit(product, { title: "first", idempotencyKey: "k-1" });
    const stub = env.COORDINATOR.getByName(product);
    const recorded = await stub.recordBatch(
      product,
      "b-conflict",
      [{ index: 0, key: "k-1", hash: "0".repeat(64), status: "queued" }],
      undefined,
      "admin",
    );
    expect(recorded.ok).toBe(true);
    const b = (await read(product, "b-conflict")).body;
    expect(b.items).toEqual([{ index: 0, key: "k-1", status: "rejected", code: "conflict" }]);
    expect(b.done).toBe(true);
    expect(b.items[0]!.jobId).not.toBe(job.id);
  });

  it("answers 404 problem+json for an unknown batch, lets a viewer read, and forgets batches past retention", async () => {
    const product = "batch-missing";
    const missing = await read(product, "no-such-batch");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toContain("application/problem+json");
    expect(missing.body).toMatchObject({ code: "not_found" });

    const r = await post(product, [{ markdown: "# kept a while" }]);
    const viewer = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "viewer" },
    });
    expect((await read(product, r.body.batchId, viewer.body.token)).status).toBe(200);

    const pruned = await env.COORDINATOR.getByName(product).prune(product, Date.now() + 8 * DAY);
    expect(pruned.ok && pruned.value.batches).toBe(1);
    expect((await read(product, r.body.batchId)).status).toBe(404);
  });
});
