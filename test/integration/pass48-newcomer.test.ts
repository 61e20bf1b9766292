// What a newcomer on the scale features (pass 48, helper N) found in real storage, each RED until fixed: the same
// files sent again under one batch Idempotency-Key (`gigafactory batch submit jobs/*.md --key K`) with one more file
// that sorts first — the README's "the same files sent again under it make no job twice" — refused every file already
// sent as `conflict` (its key `batch:K:<index>` now named another item) and made the last one a second job.
import { describe, expect, it } from "vitest";
import type { BatchView } from "../../src/shared/api-batches.ts";
import { ADMIN, api, P, until } from "./client.ts";

type Accepted = {
  batchId: string;
  accepted: number;
  jobs: number;
  items: { index: number; status: string; jobId?: string }[];
  rejected: { index: number; code: string }[];
};
const post = (product: string, items: unknown[], key: string) =>
  api<Accepted>("POST", `${P(product)}/jobs:batch`, {
    token: ADMIN,
    json: { items },
    headers: { "Idempotency-Key": key },
  });
const read = (product: string, id: string) => api<BatchView>("GET", `${P(product)}/batches/${id}`, { token: ADMIN });
const doneBatch = (product: string, id: string) =>
  until(
    async () => (await read(product, id)).body,
    (b) => b.done,
  );
// Never runnable: nothing here is dispatched while the test reads the batches.
const file = (title: string) => ({
  markdown: `---\ntitle: ${title}\nrequires: [pass48-nobody]\n---\nbody of ${title}\n`,
});

describe("the same files sent again under one batch key, with one more file", () => {
  it("answers the files already sent with their jobs and makes only the new file's job", async () => {
    const product = "pass48-batch-key-shift";
    const first = await post(product, [file("b"), file("c")], "nightly");
    expect(first.status).toBe(202);
    const made = await doneBatch(product, first.body.batchId);
    const [bJob, cJob] = made.items.map((i) => i.jobId);
    expect(bJob).toBeDefined();

    // `jobs/*.md` again after `a.md` was added: the glob puts it first, so every earlier file moves up one index.
    const again = await post(product, [file("a"), file("b"), file("c")], "nightly");
    expect(again.status).toBe(202);
    expect.soft(again.body.rejected).toEqual([]); // was: items 0 and 1 refused 409 conflict
    const read2 = await doneBatch(product, again.body.batchId);
    expect.soft(read2.items[1]?.jobId).toBe(bJob);
    expect.soft(read2.items[2]?.jobId).toBe(cJob); // was: a second job for c (its new key batch:nightly:2)
    const stats = await api<{ total: number }>("GET", `${P(product)}/stats`, { token: ADMIN });
    expect.soft(stats.body.total).toBe(3);
  });
});
