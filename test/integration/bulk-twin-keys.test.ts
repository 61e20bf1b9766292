// One idempotency key given to two different requests in one bulk batch, when a job already holds that key: the item
// that is the job's own request is answered with that job (`exists`) and the other is the 409 `conflict` naming it —
// whatever their order. Before, the first item alone was asked about, so when it was the changed one both were
// refused: the second as "used by item 0 of this batch", though its job existed — a client retrying such a batch
// learnt of no job at all, and its batch's record read rejected for both.
import { describe, expect, it } from "vitest";
import type { BatchView } from "../../src/shared/api-batches.ts";
import { ADMIN, api, P, submit } from "./client.ts";

type Reply = {
  batchId: string;
  accepted: number;
  items: Array<{ index: number; status: string; jobId?: string }>;
  rejected: Array<{ index: number; status: number; code: string; detail: string }>;
};

describe("a key given twice in a batch when a job holds it", () => {
  it("answers the job's own request with the job and refuses the other, in either order", async () => {
    const product = "bulk-twin-known";
    const job = await submit(product, { title: "original", idempotencyKey: "twin" });
    for (const order of [
      ["changed", "original"],
      ["original", "changed"],
    ]) {
      const r = await api<Reply>("POST", `${P(product)}/jobs:batch`, {
        token: ADMIN,
        json: { items: order.map((title) => ({ manifest: { title, idempotencyKey: "twin" } })) },
      });
      expect(r.status).toBe(202);
      const own = order.indexOf("original");
      const other = order.indexOf("changed");
      expect(r.body.accepted).toBe(1);
      expect(r.body.items).toEqual([{ index: own, idempotencyKey: "twin", status: "exists", jobId: job.id }]);
      expect(r.body.rejected).toEqual([expect.objectContaining({ index: other, status: 409, code: "conflict" })]);
      expect(r.body.rejected[0]?.detail).toContain(job.id);
      const view = await api<BatchView>("GET", `${P(product)}/batches/${r.body.batchId}`, { token: ADMIN });
      expect(view.body).toMatchObject({ done: true, created: 0, existing: 1, rejected: 1 });
      expect(view.body.items[own]).toMatchObject({ status: "existing", jobId: job.id });
      expect(view.body.items[other]).toMatchObject({ status: "rejected", code: "conflict" });
    }
  });
});
