// A batch Idempotency-Key keys each item by its content and its occurrence among identical items (worker/bulk-items
// `batchItemKey`), and a key stored by position before that (`batch:<K>:<index>`) still answers its item: a batch
// stored so, sent again with a new file first and its files in another order, answers every file already sent with
// its job (by content: the nth of identical files, the nth job) and makes one job for the new file, none twice.
import { describe, expect, it } from "vitest";
import type { BatchView } from "../../src/shared/api-batches.ts";
import { ADMIN, api, P, until } from "./client.ts";

type Accepted = { batchId: string; rejected: unknown[]; items: { index: number; idempotencyKey: string }[] };
const post = (product: string, items: unknown[], key?: string) =>
  api<Accepted>("POST", `${P(product)}/jobs:batch`, {
    token: ADMIN,
    json: { items },
    ...(key ? { headers: { "Idempotency-Key": key } } : {}),
  });
const done = (product: string, id: string) =>
  until(
    async () => (await api<BatchView>("GET", `${P(product)}/batches/${id}`, { token: ADMIN })).body,
    (b) => b.done,
  );
// Never runnable: nothing is dispatched while the test reads the batches.
const manifest = (title: string) => ({ title, requires: ["pass48-nobody"] });

describe("a batch stored under position keys, sent again under its key", () => {
  it("answers each file already sent with its job, whatever its place, and makes only the new file's job", async () => {
    const product = "batch-key-legacy";
    // What the route stored before keys were by content: each item under `batch:old:<index>` (here written as the
    // items' own keys, which is the same row: the key and the hash of the request without it).
    const legacy = ["x", "y", "x"].map((t, i) => ({ manifest: { ...manifest(t), idempotencyKey: `batch:old:${i}` } }));
    const first = await post(product, legacy);
    expect(first.body.rejected).toEqual([]);
    const [x0, y, x2] = (await done(product, first.body.batchId)).items.map((i) => i.jobId);
    expect(new Set([x0, y, x2]).size).toBe(3);

    const again = await post(
      product,
      ["new", "y", "x", "x"].map((t) => ({ manifest: manifest(t) })),
      "old",
    );
    expect(again.body.rejected).toEqual([]);
    const read = await done(product, again.body.batchId);
    expect(read.items.map((i) => i.jobId).slice(1)).toEqual([y, x0, x2]);
    expect(again.body.items.map((i) => i.idempotencyKey).slice(1)).toEqual([
      "batch:old:1",
      "batch:old:0",
      "batch:old:2",
    ]);
    expect(read.items[0]?.jobId).toBeDefined();
    expect((await api<{ total: number }>("GET", `${P(product)}/stats`, { token: ADMIN })).body.total).toBe(4);

    // And once more, a third x added: the nth x is the nth job, and only the third is new.
    const third = await post(
      product,
      ["x", "x", "x", "y", "new"].map((t) => ({ manifest: manifest(t) })),
      "old",
    );
    const read3 = await done(product, third.body.batchId);
    expect(read3.items.map((i) => i.jobId).slice(0, 2)).toEqual([x0, x2]);
    expect([read3.items[3]?.jobId, read3.items[4]?.jobId]).toEqual([y, read.items[0]?.jobId]);
    expect((await api<{ total: number }>("GET", `${P(product)}/stats`, { token: ADMIN })).body.total).toBe(5);
  });
});
