// A refused dependency cycle is named within bounds, however long it is: a new child (POST …/children, or a submit
// naming `parentId`) waiting on the end of a 3,000-job chain of live jobs that waits on its parent is refused 400
// `validation_failed` with the cycle's first 20 ids, its length and how many more close it — a few KB, where the
// whole cycle made a 297 KB problem — and nothing is created or changed by the refusal.
import { describe, expect, it } from "vitest";
import { MAX_CYCLE_NAMED } from "../../src/core/dag.ts";
import { ADMIN, api, getJob, P, submit } from "./client.ts";
import { CHAIN, link, seedBlockedChain } from "./dag-seed.ts";

type Problem = {
  code: string;
  detail: string;
  cycle: string[];
  cycleLength?: number;
  issues: Array<{ message: string }>;
};

function expectBounded(status: number, body: Problem, first: string, parentId: string): void {
  expect(status).toBe(400);
  expect(body.code).toBe("validation_failed");
  expect(JSON.stringify(body).length).toBeLessThan(8_000);
  // The new job, the whole chain from its end back to the first link, the parent: CHAIN + 2 jobs.
  expect(body.cycleLength).toBe(CHAIN + 2);
  expect(body.cycle).toEqual([
    first,
    link(CHAIN),
    ...Array.from({ length: MAX_CYCLE_NAMED - 2 }, (_, k) => link(CHAIN - 1 - k)),
  ]);
  const more = CHAIN + 2 - MAX_CYCLE_NAMED;
  expect(body.detail).toBe(`dependency cycle: ${body.cycle.join(" → ")} → … ${more} more … → ${first}`);
  expect(body.issues[0]!.message).toContain(`… ${more} more …`);
  expect(body.detail).not.toContain(parentId); // past the 20 named
}

describe("a cycle through a long chain of live jobs", () => {
  it("is refused with its first ids, its length and how many more — a few KB, nothing created", async () => {
    const product = "cycle-error-bound";
    const parent = await submit(product, { title: "parent" });
    await seedBlockedChain(product, parent.id);

    const children = await api<Problem>("POST", `${P(product)}/jobs/${parent.id}/children`, {
      token: ADMIN,
      json: { children: [{ title: "closes it", deps: [link(CHAIN)] }] },
    });
    expectBounded(children.status, children.body, "#0", parent.id);

    const single = await api<Problem>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "closes it too", parentId: parent.id, deps: [link(CHAIN)] } },
    });
    expectBounded(single.status, single.body, "(this job)", parent.id);

    // Refused input changes nothing: the parent is still a plain queued job with no children.
    const after = await getJob(product, parent.id);
    expect([after.stage, after.kind]).toEqual(["queued", "task"]);
    const tree = await api<{ root: { children: unknown[] } }>("GET", `${P(product)}/jobs/${parent.id}/tree`, {
      token: ADMIN,
    });
    expect(tree.body.root.children).toEqual([]);
  });

  it("a short cycle is still named whole, with no length", async () => {
    const product = "cycle-error-short";
    const parent = await submit(product, { title: "parent" });
    const r = await api<Problem>("POST", `${P(product)}/jobs/${parent.id}/children`, {
      token: ADMIN,
      json: { children: [{ title: "on its parent", deps: [parent.id] }] },
    });
    expect(r.status).toBe(400);
    expect(r.body.cycle).toEqual(["#0", parent.id, "#0"]);
    expect(r.body.cycleLength).toBeUndefined();
    expect(r.body.detail).toBe(`dependency cycle: #0 → ${parent.id} → #0`);
  });
});
