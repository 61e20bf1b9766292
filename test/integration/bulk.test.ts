// Submissions are sized in UTF-8 bytes, not UTF-16 units: a bulk item too large for a queue message in UTF-8 is refused
// alone (413), the rest are queued (never a 500 after part of the batch went out), and a retry of the same batch — keys
// or not — creates nothing twice (a keyless item's key comes from its content; under a batch Idempotency-Key, from its
// content and occurrence, so a changed item is a new one); POST …/jobs caps its JSON bodyMd in bytes too.
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { utf8Bytes } from "../../src/core/bytes.ts";
import worker from "../../src/worker/index.ts";
import { type DispatchMessage, MAX_MESSAGE_BYTES } from "../../src/worker/queues/messages.ts";
import { MAX_MANIFEST_BYTES } from "../../src/worker/validate.ts";
import { ADMIN, api, createProduct, P, until } from "./client.ts";

interface BatchReply {
  accepted: number;
  idempotencyKeys: string[];
  items: Array<{ index: number; idempotencyKey: string; status: string; jobId?: string }>;
  rejected: Array<{ index: number; status: number; code: string; detail: string; idempotencyKey?: string }>;
}

const batch = (product: string, items: unknown[], key?: string) =>
  api<BatchReply>("POST", `${P(product)}/jobs:batch`, {
    token: ADMIN,
    json: { items },
    headers: key ? { "idempotency-key": key } : {},
  });
const titles = async (product: string) =>
  (await api<{ jobs: Array<{ title: string }> }>("GET", `${P(product)}/jobs`, { token: ADMIN })).body.jobs
    .map((j) => j.title)
    .sort();

describe("POST …/jobs:batch, sized in bytes", () => {
  const huge = `# t\n${"漢".repeat(80_000)}`; // 80,004 UTF-16 units, 240,004 bytes of UTF-8

  it("refuses the issue's item (漢 × 80,000) alone with 413, queues the others, and a keyless retry duplicates nothing", async () => {
    const product = "bulk-bytes";
    expect(huge.length).toBeLessThan(MAX_MESSAGE_BYTES);
    expect(utf8Bytes(huge)).toBeGreaterThan(128_000);
    const items = [{ markdown: "# first" }, { markdown: huge }, { manifest: { title: "third" }, bodyMd: "漢字" }];
    const r = await batch(product, items);
    expect(r.status).toBe(202);
    expect(r.body.rejected).toEqual([expect.objectContaining({ index: 1, status: 413, code: "payload_too_large" })]);
    expect(r.body.accepted).toBe(2);
    expect(r.body.items.map((i) => [i.index, i.status])).toEqual([
      [0, "queued"],
      [2, "queued"],
    ]);
    expect(
      await until(
        () => titles(product),
        (t) => t.length === 2,
      ),
    ).toEqual(["first", "third"]);

    // The client retries the whole batch (its answer was lost): the same content has the same keys.
    const again = await batch(product, items);
    expect(again.status).toBe(202);
    expect(again.body.idempotencyKeys).toEqual(r.body.idempotencyKeys);
    expect(again.body.items.map((i) => i.status)).toEqual(["exists", "exists"]);
    expect(await titles(product)).toEqual(["first", "third"]);
  });

  it("splits multi-byte items into messages the queue takes: 40 items of 30 KB, all queued", async () => {
    const product = "bulk-many-wide";
    // 10,004 units each: by .length, three to a 100 KiB message; by bytes, that message would be 90 KB over.
    const items = Array.from({ length: 40 }, (_, i) => ({ markdown: `# w${i}\n${"漢".repeat(10_000)}` }));
    const r = await batch(product, items);
    expect([r.status, r.body.accepted, r.body.rejected]).toEqual([202, 40, []]);
    expect(
      (
        await until(
          () => titles(product),
          (t) => t.length === 40,
        )
      ).length,
    ).toBe(40);
  });

  it("keys items by a batch Idempotency-Key and content: the same item again is its job, a changed one a new job", async () => {
    const product = "bulk-batch-key";
    const first = await batch(product, [{ markdown: "# a" }, { markdown: "# b" }], "import-1");
    expect(first.body.idempotencyKeys).toEqual([
      expect.stringMatching(/^batch:import-1:[0-9a-f]{16}\.0$/),
      expect.stringMatching(/^batch:import-1:[0-9a-f]{16}\.0$/),
    ]);
    await until(
      () => titles(product),
      (t) => t.length === 2,
      { what: "both jobs of batch import-1 created" },
    );
    const changed = await batch(product, [{ markdown: "# a" }, { markdown: "# b, edited" }], "import-1");
    expect(changed.status).toBe(202);
    expect(changed.body.items.map((i) => [i.index, i.status])).toEqual([
      [0, "exists"],
      [1, "queued"],
    ]);
    expect(changed.body.rejected).toEqual([]);
    expect(changed.body.idempotencyKeys[0]).toBe(first.body.idempotencyKeys[0]);
    await until(
      () => titles(product),
      (t) => t.length === 3,
      { what: "the edited item's job created" },
    );
    expect((await titles(product)).sort()).toEqual(["a", "b", "b, edited"]);
  });

  it("refuses, within one batch, a manifest key given twice with different requests", async () => {
    const product = "bulk-twin-keys";
    const r = await batch(product, [
      { manifest: { title: "x", idempotencyKey: "dup" } },
      { manifest: { title: "y", idempotencyKey: "dup" } },
    ]);
    expect(r.body.accepted).toBe(1);
    expect(r.body.rejected).toEqual([expect.objectContaining({ index: 1, status: 409, code: "conflict" })]);
  });
});

describe("POST …/jobs:batch when the queue fails midway", () => {
  it("reports which items were queued and which were not (503 per item) instead of a 500, and a resend completes it", async () => {
    const product = "bulk-partial";
    await createProduct(product); // the raw worker.fetch below bypasses the client's create-on-404
    // Three items of ~90 KB: one message each, two messages to the first sendBatch, one to the second.
    const items = ["p0", "p1", "p2"].map((t) => ({ markdown: `# ${t}\n${"漢".repeat(30_000)}` }));
    let calls = 0;
    // An outage of one dependency (not storage): the second sendBatch is refused.
    const flaky = {
      ...env,
      DISPATCH_QUEUE: {
        sendBatch: (batch: Iterable<MessageSendRequest<DispatchMessage>>) =>
          ++calls === 2 ? Promise.reject(new Error("queue unavailable")) : env.DISPATCH_QUEUE.sendBatch(batch),
      },
    } as unknown as Env;
    const req = new Request(`http://gf.test${P(product)}/jobs:batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ items }),
    });
    const res = await worker.fetch(req, flaky, createExecutionContext());
    expect(res.status).toBe(202);
    const r = (await res.json()) as BatchReply;
    expect(r.items.map((i) => [i.index, i.status])).toEqual([
      [0, "queued"],
      [1, "queued"],
    ]);
    expect(r.rejected).toEqual([expect.objectContaining({ index: 2, status: 503, code: "unavailable" })]);
    expect(
      await until(
        () => titles(product),
        (t) => t.length === 2,
      ),
    ).toEqual(["p0", "p1"]);
    const resend = await batch(product, items);
    expect(resend.body.items.map((i) => i.status)).toEqual(["exists", "exists", "queued"]);
    expect(
      await until(
        () => titles(product),
        (t) => t.length === 3,
      ),
    ).toEqual(["p0", "p1", "p2"]);
  });
});

describe("POST …/jobs, sized in bytes", () => {
  it("refuses a JSON bodyMd over the manifest cap in UTF-8 bytes (though under it in UTF-16 units) with 413", async () => {
    const product = "submit-bytes";
    const bodyMd = "漢".repeat(Math.floor(MAX_MANIFEST_BYTES / 3) + 20); // ~ MAX + 60 bytes, a third of it in units
    const over = await api<{ code: string }>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "wide" }, bodyMd },
    });
    expect([over.status, over.body.code]).toEqual([413, "payload_too_large"]);
    const at = "漢".repeat(Math.floor(MAX_MANIFEST_BYTES / 3)) + "a".repeat(MAX_MANIFEST_BYTES % 3);
    expect(utf8Bytes(at)).toBe(MAX_MANIFEST_BYTES);
    const ok = await api("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "wide" }, bodyMd: at },
    });
    expect(ok.status).toBe(201);
    expect(await titles(product)).toEqual(["wide"]);
  });
});
