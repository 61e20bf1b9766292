// A bulk batch's answer is bounded by what it was sent: each refused item's detail is at most 1 KiB of UTF-8 (cut
// between characters and marked "…", its first problem kept), so 10,000 refused items cannot answer tens of MB. An
// item with 25 unknown keys (~200 bytes) was answered with ~4.5 KB of detail — the allowed keys named once per unknown
// one — so a 2 MB batch of such items came back as a 45 MB answer, built whole in the Worker's memory: the
// amplification core/bytes ISSUES_ECHOED bounds for one request, multiplied by the batch's 10,000 items. The "…" that
// marks a cut is inside the 1 KiB (it was 3 bytes past it), and an item the dispatch queue refused is held to it too,
// its advice first, however long the queue's error (it carried the error whole).
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { utf8Bytes } from "../../src/core/bytes.ts";
import { MAX_ITEM_DETAIL_BYTES } from "../../src/shared/api-batches.ts";
import worker from "../../src/worker/index.ts";
import { ADMIN, api, createProduct, P } from "./client.ts";

type Reply = { rejected: Array<{ index: number; code: string; detail: string }> };

describe("a bulk batch of refused items", () => {
  it("answers each with at most 1 KiB of detail, its first problem kept", async () => {
    const manifest: Record<string, number> = {};
    for (let i = 0; i < 25; i++) manifest[`unknown${i}`] = 0;
    const items = Array.from({ length: 200 }, () => ({ manifest }));
    const r = await api<Reply>("POST", `${P("bulk-answer-bound")}/jobs:batch`, { token: ADMIN, json: { items } });
    expect(r.status).toBe(202);
    expect(r.body.rejected).toHaveLength(200);
    for (const item of r.body.rejected) {
      expect(item.code).toBe("invalid_manifest");
      expect(item.detail).toMatch(/^invalid manifest: title: required/);
      expect(item.detail.endsWith("…")).toBe(true);
      expect(utf8Bytes(item.detail)).toBeLessThanOrEqual(MAX_ITEM_DETAIL_BYTES); // the "…" included: it was 3 bytes over
    }
    // Within its request's size, give or take the index, status and code each item adds.
    expect(utf8Bytes(JSON.stringify(r.body))).toBeLessThan(items.length * 1200);
  });

  it("gives an item the queue refused at most 1 KiB of detail, whatever the queue's error says", async () => {
    const product = "bulk-answer-bound-queue";
    await createProduct(product); // the raw worker.fetch below bypasses the client's create-on-404
    const refusing = {
      ...env,
      DISPATCH_QUEUE: { sendBatch: () => Promise.reject(new Error(`queue unavailable: ${"x".repeat(5_000)}`)) },
    } as unknown as Env;
    const req = new Request(`http://gf.test${P(product)}/jobs:batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ items: [{ markdown: "# a" }] }),
    });
    const res = await worker.fetch(req, refusing, createExecutionContext());
    expect(res.status).toBe(202);
    const [refused] = ((await res.json()) as Reply).rejected;
    expect(refused).toMatchObject({ index: 0, code: "unavailable" });
    expect(utf8Bytes(refused!.detail)).toBeLessThanOrEqual(MAX_ITEM_DETAIL_BYTES);
    expect(refused!.detail).toMatch(/^the dispatch queue refused this item; nothing of it was queued — resend it/);
  });
});
