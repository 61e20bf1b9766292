// The edges of bulk submission, refused up front with a clear 4xx and nothing created for what is refused: a
// composite (parent) item inside a bulk submit — with children, or declared `kind: composite` without them — is
// rejected in the 202 answer itself (400 validation_failed naming children or kind) and in the batch's record at
// once, never queued to fail later in the consumer, while the batch's other items go. So is an item whose deps or
// parent rule it out as things stand (an unknown dep, a dep that was cancelled, an unknown parent, a parent that can
// no longer take children, a cycle through its parent): the refusal the consumer would have met, given in the answer.
// A retried batch (same Idempotency-Key) whose items already have jobs answers each with its job first, whatever its
// refs would say of a new one now.
import { describe, expect, it } from "vitest";
import { ADMIN, api, P, submit, until } from "./client.ts";

interface BatchReply {
  batchId: string;
  accepted: number;
  items: Array<{ index: number; idempotencyKey: string; status: string }>;
  rejected: Array<{ index: number; status: number; code: string; detail: string }>;
}
interface BatchView {
  total: number;
  items: Array<{ index: number; status: string; code?: string; jobId?: string }>;
  done: boolean;
}

const batch = (product: string, items: unknown[]) =>
  api<BatchReply>("POST", `${P(product)}/jobs:batch`, { token: ADMIN, json: { items } });
const jobs = async (product: string) =>
  (await api<{ jobs: Array<{ title: string; kind: string }> }>("GET", `${P(product)}/jobs`, { token: ADMIN })).body
    .jobs;

describe("a composite item in a bulk submit", () => {
  it("is refused in the answer (400, names children), nothing of it queued; the other items go", async () => {
    const product = "bulk-composite";
    const parent = { title: "parent", children: [{ title: "kid 1" }, { title: "kid 2" }] };
    const r = await batch(product, [{ manifest: { title: "single" } }, { manifest: parent }]);
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(1);
    expect(r.body.items.map((i) => [i.index, i.status])).toEqual([[0, "queued"]]);
    expect(r.body.rejected).toEqual([
      expect.objectContaining({
        index: 1,
        status: 400,
        code: "validation_failed",
        detail: expect.stringMatching(/composite.*children/),
      }),
    ]);
    // The batch's record says so at once: the parent is rejected, not "queued" until the consumer meets it.
    const view = await api<BatchView>("GET", `${P(product)}/batches/${r.body.batchId}`, { token: ADMIN });
    expect(view.body.items.find((i) => i.index === 1)).toMatchObject({ status: "rejected", code: "validation_failed" });
    const done = await until(
      () => api<BatchView>("GET", `${P(product)}/batches/${r.body.batchId}`, { token: ADMIN }),
      (v) => v.body.done,
    );
    expect(done.body.items.map((i) => i.status)).toEqual(["created", "rejected"]);
    // Only the single job exists: no parent, no child.
    expect((await jobs(product)).map((j) => j.title)).toEqual(["single"]);
  });

  it("a parent declared without its children (kind: composite), as JSON or markdown, is refused the same way", async () => {
    const product = "bulk-composite-kind";
    const r = await batch(product, [
      { manifest: { title: "lonely parent", kind: "composite" } },
      { markdown: "---\nkind: composite\n---\n# md parent" },
      { manifest: { title: "task", kind: "task" } },
    ]);
    expect(r.status).toBe(202);
    expect(r.body.rejected.map((x) => [x.index, x.status, x.code])).toEqual([
      [0, 400, "validation_failed"],
      [1, 400, "validation_failed"],
    ]);
    expect(r.body.rejected[0]?.detail).toContain("kind: composite");
    await until(
      () => jobs(product),
      (j) => j.length === 1,
      { what: "the one valid item's job created" },
    );
    expect((await jobs(product)).map((j) => [j.title, j.kind])).toEqual([["task", "task"]]);
  });

  it("a batch of only composite items queues nothing", async () => {
    const product = "bulk-composite-only";
    const parent = { title: "p", children: [{ title: "k" }] };
    const r = await batch(product, [{ manifest: parent }, { manifest: { ...parent, title: "p2" } }]);
    expect([r.status, r.body.accepted, r.body.rejected.map((x) => x.status)]).toEqual([202, 0, [400, 400]]);
    expect(await jobs(product)).toEqual([]);
  });
});

describe("an item whose deps or parent rule it out now", () => {
  it("is refused in the answer with the refusal its submission would meet; sound references are queued", async () => {
    const product = "bulk-refs";
    const dep = await submit(product, { title: "dep" });
    const gone = await submit(product, { title: "gone" });
    expect((await api("POST", `${P(product)}/jobs/${gone.id}/actions/cancel`, { token: ADMIN, json: {} })).status).toBe(
      200,
    );
    const parent = await submit(product, { title: "parent" });
    const r = await batch(product, [
      { manifest: { title: "ok dep", deps: [dep.id] } },
      { manifest: { title: "unknown dep", deps: ["job_nope"] } },
      { manifest: { title: "dead dep", deps: [gone.id] } },
      { manifest: { title: "unknown parent", parentId: "job_nope" } },
      { manifest: { title: "ok child", parentId: parent.id } },
      { manifest: { title: "child of a cancelled job", parentId: gone.id } },
      { manifest: { title: "waits on its own parent", parentId: parent.id, deps: [parent.id] } },
    ]);
    expect(r.status).toBe(202);
    expect(r.body.items.map((i) => [i.index, i.status])).toEqual([
      [0, "queued"],
      [4, "queued"],
    ]);
    expect(r.body.rejected.map((x) => [x.index, x.status, x.code])).toEqual([
      [1, 400, "validation_failed"],
      [2, 400, "validation_failed"],
      [3, 400, "validation_failed"],
      [5, 409, "illegal_transition"],
      [6, 400, "validation_failed"],
    ]);
    expect(r.body.rejected.map((x) => x.detail)).toEqual([
      expect.stringContaining("unknown deps"),
      expect.stringContaining("can never ship"),
      expect.stringContaining("parent job job_nope does not exist"),
      expect.stringContaining("only a queued or blocked job can be given children"),
      expect.stringMatching(/cycle/),
    ]);
    const done = await until(
      () => api<BatchView>("GET", `${P(product)}/batches/${r.body.batchId}`, { token: ADMIN }),
      (v) => v.body.done,
    );
    expect(done.body.items.map((i) => i.status)).toEqual([
      "created",
      "rejected",
      "rejected",
      "rejected",
      "created",
      "rejected",
      "rejected",
    ]);
    expect((await jobs(product)).map((j) => j.title).sort()).toEqual(["dep", "gone", "ok child", "ok dep", "parent"]);
  });

  it("two items that close a cycle together: the second is refused in the answer, as the consumer would", async () => {
    const product = "bulk-edges-cross-cycle";
    const a = await submit(product, { title: "A" });
    const b = await submit(product, { title: "B" });
    // x1 under A waits on B; x2 under B waits on A: B → x2 → A → x1 → B once both exist.
    const r = await batch(product, [
      { manifest: { title: "x1", parentId: a.id, deps: [b.id] } },
      { manifest: { title: "x2", parentId: b.id, deps: [a.id] } },
    ]);
    expect(r.status).toBe(202);
    expect(r.body.rejected).toEqual([expect.objectContaining({ index: 1, status: 400, code: "validation_failed" })]);
    expect(r.body.rejected[0]?.detail).toMatch(/^dependency cycle: /);
    const done = await until(
      () => api<BatchView>("GET", `${P(product)}/batches/${r.body.batchId}`, { token: ADMIN }),
      (v) => v.body.done,
    );
    expect(done.body.items.map((i) => i.status)).toEqual(["created", "rejected"]);
  });
});

describe("a retried batch (same Idempotency-Key) whose items already have jobs", () => {
  it("answers each with its job (exists), even when its dep was cancelled since; a changed item is a new one", async () => {
    const product = "bulk-retry-refs";
    const dep = await submit(product, { title: "dep" });
    const send = (title: string) =>
      api<BatchReply & { items: Array<{ jobId?: string }> }>("POST", `${P(product)}/jobs:batch`, {
        token: ADMIN,
        headers: { "idempotency-key": "retry-key-1" },
        json: { items: [{ manifest: { title, deps: [dep.id] } }] },
      });
    const first = await send("waits");
    expect(first.body.items.map((i) => i.status)).toEqual(["queued"]);
    const done = await until(
      () => api<BatchView>("GET", `${P(product)}/batches/${first.body.batchId}`, { token: ADMIN }),
      (v) => v.body.done,
    );
    const jobId = done.body.items[0]?.jobId;
    expect(done.body.items[0]?.status).toBe("created");
    expect((await api("POST", `${P(product)}/jobs/${dep.id}/actions/cancel`, { token: ADMIN, json: {} })).status).toBe(
      200,
    );
    // The same request again: the first job, not a refusal for a dep that would rule a NEW job out.
    const again = await send("waits");
    expect(again.body.rejected).toEqual([]);
    expect(again.body.items).toEqual([
      { index: 0, idempotencyKey: first.body.items[0]?.idempotencyKey, status: "exists", jobId },
    ]);
    // A different request under the batch key is another item (its key is by content, worker/bulk-items
    // `batchItemKey`): a new job, which its cancelled dep now refuses.
    const changed = await send("changed");
    expect(changed.body.rejected.map((x) => [x.index, x.status, x.code])).toEqual([[0, 400, "validation_failed"]]);
    expect(changed.body.rejected[0]?.detail).toContain("can never ship");
  });
});
