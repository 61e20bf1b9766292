// `POST …/jobs/{id}/children` with an Idempotency-Key (coordinator/dag/children-keys): a retry after a lost answer
// returns the children the first request made (200, idempotent-replayed), even once the parent has started, instead
// of a second set of paid runs; the same key with another set of children (one more, one fewer, one changed) is a
// 409 conflict that changes nothing; without a key every request makes new children, as before.
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, type JobView, P, submit } from "./client.ts";

type Made = { parent: JobView; children: JobView[] } & { code?: string; idempotencyKey?: string; jobId?: string };

const CHILDREN = [{ title: "c0" }, { title: "c1", deps: ["#0"], bodyMd: "do c1" }];

const post = (product: string, parentId: string, children: unknown[], key?: string) =>
  api<Made>("POST", `${P(product)}/jobs/${parentId}/children`, {
    token: ADMIN,
    json: { children },
    headers: key === undefined ? {} : { "idempotency-key": key },
  });

const childIds = async (product: string, parentId: string) =>
  (await api<{ jobs: JobView[] }>("GET", `${P(product)}/jobs?limit=100`, { token: ADMIN })).body.jobs
    .filter((j) => j.parentId === parentId)
    .map((j) => j.id)
    .sort();

describe("children with an Idempotency-Key", () => {
  it("a retry of the same request returns the same children (200, replayed) and makes none", async () => {
    const product = "children-key-replay";
    const parent = await submit(product, { title: "parent" });
    const first = await post(product, parent.id, CHILDREN, "split-1");
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const again = await post(product, parent.id, CHILDREN, "split-1");
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.children.map((c) => c.id)).toEqual(first.body.children.map((c) => c.id));
    expect(again.body.children[1]!.deps).toEqual([first.body.children[0]!.id]);
    expect(again.body.parent).toMatchObject({ id: parent.id, kind: "composite", stage: "blocked" });
    expect(await childIds(product, parent.id)).toEqual(first.body.children.map((c) => c.id).sort());
  });

  it("replays after the parent has ended (the guard would now refuse a new request)", async () => {
    const product = "children-key-later";
    const f = await enroll(product, "f", [], 4);
    const parent = await submit(product, { title: "parent" });
    const first = await post(product, parent.id, CHILDREN, "k");
    const c = await claim(product, f.token);
    expect(c.body.job.id).toBe(first.body.children[0]!.id);
    await api("POST", `${P(product)}/jobs/${c.body.job.id}/actions/cancel`, { token: ADMIN }); // fails the parent
    expect((await post(product, parent.id, [{ title: "new" }], "other")).status).toBe(409); // illegal_transition
    const again = await post(product, parent.id, CHILDREN, "k");
    expect(again.status).toBe(200);
    expect(again.body.parent.stage).toBe("failed");
    expect(again.body.children.map((j) => [j.id, j.stage])).toEqual([
      [c.body.job.id, "cancelled"],
      [first.body.children[1]!.id, "failed"],
    ]);
  });

  it("refuses the key with another set of children: one changed, one more, one fewer — nothing made", async () => {
    const product = "children-key-conflict";
    const parent = await submit(product, { title: "parent" });
    await post(product, parent.id, CHILDREN, "k");
    const before = await childIds(product, parent.id);
    const variants = [
      [{ title: "c0" }, { title: "c1", deps: ["#0"], bodyMd: "do c1 differently" }],
      [...CHILDREN, { title: "c2" }],
      [{ title: "c0" }],
      [{ title: "c0" }, { title: "c1", bodyMd: "do c1" }], // the same child without its dep on #0
    ];
    for (const children of variants) {
      const r = await post(product, parent.id, children, "k");
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: "conflict", idempotencyKey: "k", jobId: parent.id });
    }
    expect(await childIds(product, parent.id)).toEqual(before);
  });

  it("keys are per parent; without a key each request makes children; a key over 128 bytes is a 400", async () => {
    const product = "children-key-scope";
    const a = await submit(product, { title: "a" });
    const b = await submit(product, { title: "b" });
    expect((await post(product, a.id, CHILDREN, "same")).status).toBe(201);
    expect((await post(product, b.id, CHILDREN, "same")).status).toBe(201);
    expect((await post(product, a.id, [{ title: "x" }])).status).toBe(201);
    expect((await post(product, a.id, [{ title: "x" }])).status).toBe(201);
    expect(await childIds(product, a.id)).toHaveLength(4);
    const long = await post(product, a.id, [{ title: "y" }], "k".repeat(129));
    expect(long.status).toBe(400);
    expect(long.body.code).toBe("validation_failed");
    expect(await childIds(product, a.id)).toHaveLength(4);
  });
});
