// The bulk route's up-front refs check (coordinator/jobs/batch-refs) is batch-wide: items naming one parent count
// together against its 2,000-children limit, so the first item past it is refused in the answer (each was checked
// alone and answered `queued`, then rejected by the consumer); and its cost is bounded by the graph, not by
// graph × items nor graph × parents — counted in SQL reads and in-memory steps, not timed: 200 items under one
// parent, each depending on a job with 300 children, read each job's edges once (it was once per item: 74 s for 1,999
// items over 2,000 children), and a cycle through a parent reachable from the dep is still refused for every item
// that closes it, with the path named; 100 items under 100 distinct parents out of the dep's reach expand the dep's
// graph once; 1,999 items each under its own child of the dep, each closing a cycle, take ~6 steps per job where a
// search per parent took ~2 M (951 ms). On random graphs the answers (which items, which cycle path) are those of a
// depth-first search per item over the stored edges and the batch's earlier sound items.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_CHILDREN_PER_PARENT } from "../../src/core/composite.ts";
import { ReachMemo } from "../../src/durable-objects/coordinator/jobs/batch-reach.ts";
import { checkItemRefs } from "../../src/durable-objects/coordinator/jobs/batch-refs.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import { ADMIN, api, P, submit } from "./client.ts";
import { countingSql } from "./counting-sql.ts";
import { seedChildren } from "./dag-seed.ts";

describe("the bulk refs check, batch-wide", () => {
  it("counts a batch's items for one parent together: the first past the children limit is refused in the answer", async () => {
    const product = "bulk-refs-limit";
    const parent = await submit(product, { title: "parent" });
    await seedChildren(product, parent.id, MAX_CHILDREN_PER_PARENT - 3, "job_kid");
    const items = Array.from({ length: 5 }, (_, k) => ({ manifest: { title: `child ${k}`, parentId: parent.id } }));
    const r = await api<{
      items: Array<{ index: number; status: string }>;
      rejected: Array<{ index: number; status: number; code: string; detail: string }>;
    }>("POST", `${P(product)}/jobs:batch`, { token: ADMIN, json: { items } });
    expect(r.status).toBe(202);
    expect(r.body.items.map((i) => [i.index, i.status])).toEqual([
      [0, "queued"],
      [1, "queued"],
      [2, "queued"],
    ]);
    expect(r.body.rejected.map((x) => [x.index, x.status, x.code])).toEqual([
      [3, 400, "validation_failed"],
      [4, 400, "validation_failed"],
    ]);
    expect(r.body.rejected[0]?.detail).toContain(`limit of ${MAX_CHILDREN_PER_PARENT} (3 of them earlier items`);
  });

  it("reads each job's edges once per call, whatever the number of items; cycles are still found for each", async () => {
    const product = "bulk-refs-bound";
    const parent = await submit(product, { title: "parent" });
    const dep = await submit(product, { title: "dep with many children" });
    const WIDE = 300;
    const ITEMS = 200;
    await seedChildren(product, dep.id, WIDE, "job_wide");
    const inside = "job_wide_0150"; // reachable from the dep: an item under it that waits on the dep closes a cycle
    const verdicts = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const count = { reads: 0 };
      const tx: Tx = { sql: countingSql(state.storage.sql, count), productId: product, now: Date.now() };
      const items = Array.from({ length: ITEMS }, (_, k) => ({
        deps: [dep.id],
        depsMode: "all" as const,
        parentId: k % 2 === 0 ? parent.id : inside,
      }));
      return { out: checkItemRefs(tx, items), reads: count.reads };
    });
    expect(verdicts.out.filter((v) => v === null)).toHaveLength(ITEMS / 2);
    verdicts.out.forEach((v, k) => {
      if (k % 2 === 0) expect(v).toBeNull();
      else expect(v?.message).toBe(`dependency cycle: (this job) → ${dep.id} → ${inside} → (this job)`);
    });
    // Two reads (deps, children) per job reachable from the dep, once for both parents searched toward;
    // per item one read per dep and three for its parent (its row, whether a cancel cascades above it, its children
    // count). Once per item it was ITEMS × 2 × (WIDE + 1) = 120,400.
    expect(verdicts.reads).toBeLessThanOrEqual(2 * (WIDE + 1) + 4 * ITEMS);
  });

  it("searches toward a parent only when the batch's deps reach it: distinct parents cost no search each", async () => {
    const product = "bulk-refs-parents";
    const root = await submit(product, { title: "root" });
    const dep = await submit(product, { title: "dep with many children" });
    const WIDE = 300;
    const PARENTS = 100;
    await seedChildren(product, dep.id, WIDE, "job_wide");
    await seedChildren(product, root.id, PARENTS, "job_par"); // queued, able to take children, out of the dep's reach
    const { out, steps } = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const reach = new ReachMemo(state.storage.sql);
      const tx: Tx = { sql: state.storage.sql, productId: product, now: Date.now() };
      const items = Array.from({ length: PARENTS }, (_, k) => ({
        deps: [dep.id],
        depsMode: "all" as const,
        parentId: `job_par_${String(k + 1).padStart(4, "0")}`,
      }));
      return { out: checkItemRefs(tx, items, reach), steps: reach.steps };
    });
    expect(out).toEqual(Array.from({ length: PARENTS }, () => null));
    // One search of the dep's graph (its jobs and edges, none reaching a parent); a search per distinct parent was
    // PARENTS × (WIDE + 1) = 30,100 jobs expanded.
    expect(steps).toBeLessThanOrEqual(2 * WIDE + 1);
  });

  it("one search for all the parents inside the deps' reach, not one per parent; each cycle still named", async () => {
    const product = "bulk-refs-inside";
    const dep = await submit(product, { title: "dep with many children" });
    const WIDE = 1_999; // the reviewer's batch: each item under its own child of the dep, waiting on the dep
    await seedChildren(product, dep.id, WIDE, "job_wide");
    const kid = (k: number) => `job_wide_${String(k + 1).padStart(4, "0")}`;
    const { out, steps, reads } = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const count = { reads: 0 };
      const tx: Tx = { sql: countingSql(state.storage.sql, count), productId: product, now: Date.now() };
      const reach = new ReachMemo(tx.sql);
      const items = Array.from({ length: WIDE }, (_, k) => ({
        deps: [dep.id],
        depsMode: "all" as const,
        parentId: kid(k),
      }));
      return { out: checkItemRefs(tx, items, reach), steps: reach.steps, reads: count.reads };
    });
    out.forEach((v, k) => {
      expect(v?.message).toBe(`dependency cycle: (this job) → ${dep.id} → ${kid(k)} → (this job)`);
    });
    // Each job expanded and each edge followed once; each child's one-word set read into the dep's set and into its
    // table of first steps, a bit each there; the dep's set written (63 words); a step per item's path: ≤ 6·WIDE + 64.
    // A search per parent was Σk ≈ WIDE²/2 ≈ 2 M jobs expanded.
    expect(steps).toBeLessThanOrEqual(7 * (WIDE + 1));
    expect(reads).toBeLessThanOrEqual(2 * (WIDE + 1) + 4 * WIDE); // a dep's read, three for its parent (above)
  });
});
