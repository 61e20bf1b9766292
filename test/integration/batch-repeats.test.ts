// Identical keyless items of one bulk batch are one job (their content key, worker/bulk-items `content:<sha256>`),
// and both answers say so: `POST …/jobs:batch` gives `jobs` (the jobs its accepted items name) beside `accepted`
// and `repeatOf` on each item that repeats an earlier one, and `GET …/batches/{batchId}` gives `jobs` and
// `repeatOf` once they exist — the answer said `accepted: 3` and the read "3 created" for one job (a newcomer,
// pass 42). Items with their own keys, or under the batch's Idempotency-Key, repeat nothing.
import { describe, expect, it } from "vitest";
import type { BatchView } from "../../src/shared/api-batches.ts";
import { ADMIN, api, P, until } from "./client.ts";

type Accepted = { batchId: string; accepted: number; jobs: number; items: { index: number; repeatOf?: number }[] };
const post = (product: string, items: unknown[], headers: Record<string, string> = {}) =>
  api<Accepted>("POST", `${P(product)}/jobs:batch`, { token: ADMIN, json: { items }, headers });
const read = (product: string, id: string) => api<BatchView>("GET", `${P(product)}/batches/${id}`, { token: ADMIN });

describe("a bulk batch's repeated items", () => {
  it("says which keyless items repeat an earlier one, and counts the jobs they name", async () => {
    const product = "batch-repeats";
    const same = { manifest: { title: "same" } };
    const r = await post(product, [same, { manifest: { title: "other" } }, same, same]);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ accepted: 4, jobs: 2 });
    expect(r.body.items.map((i) => i.repeatOf)).toEqual([undefined, undefined, 0, 0]);

    const done = await until(
      async () => (await read(product, r.body.batchId)).body,
      (b) => b.done,
    );
    expect(done).toMatchObject({ total: 4, created: 4, jobs: 2 });
    expect(done.items.map((i) => i.repeatOf)).toEqual([undefined, undefined, 0, 0]);
    expect(new Set(done.items.map((i) => i.jobId)).size).toBe(2);
    expect(done.items[2]!.jobId).toBe(done.items[0]!.jobId);
  });

  it("repeats nothing when each item has its own key, or the batch's", async () => {
    const product = "batch-repeats-keyed";
    const same = { manifest: { title: "same" } };
    const byBatch = await post(product, [same, same], { "Idempotency-Key": "nightly-1" });
    expect(byBatch.body).toMatchObject({ accepted: 2, jobs: 2 });
    expect(byBatch.body.items.every((i) => i.repeatOf === undefined)).toBe(true);
    const done = await until(
      async () => (await read(product, byBatch.body.batchId)).body,
      (b) => b.done,
    );
    expect(done).toMatchObject({ created: 2, jobs: 2 });
    expect(done.items.every((i) => i.repeatOf === undefined)).toBe(true);
  });
});
