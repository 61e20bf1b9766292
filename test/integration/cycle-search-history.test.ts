// The cycle check of a new child (dag/children, jobs/submit) and of a bulk batch's items (jobs/batch-reach) stops at
// jobs that ended for good (shipped, cancelled): its cost is the graph that can still wait, not the product's whole
// history — a child depending on the last of 1,000 chained shipped jobs costs a handful of reads (it read all
// 1,000 twice, on every request, more every day the product lives). Counted in SQL reads, not timed. A cycle through
// a shipped job blocks nothing and is accepted; one through a failed job (requeueable) is still refused, named.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { assertAcyclic } from "../../src/durable-objects/coordinator/dag/children.ts";
import { checkItemRefs } from "../../src/durable-objects/coordinator/jobs/batch-refs.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import { ADMIN, api, P, submit } from "./client.ts";
import { countingSql } from "./counting-sql.ts";

const HISTORY = 1_000;
const old = (i: number) => `job_old_${String(i).padStart(4, "0")}`;

/** `HISTORY` shipped jobs, each depending on the one before (`old(1)` … `old(HISTORY)`), as a long-lived product has. */
async function seedShippedChain(product: string, seedId: string): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, serial_key, rev, doc, cap_key)
       SELECT printf('job_old_%04d', i), 'shipped', priority_value, queued_at, created_at + i, serial_key, rev,
              json_set(doc, '$.id', printf('job_old_%04d', i), '$.stage', 'shipped', '$.deps',
                       CASE WHEN i = 1 THEN json('[]') ELSE json_array(printf('job_old_%04d', i - 1)) END), cap_key
         FROM jobs, n WHERE jobs.id = ?2`,
      HISTORY,
      seedId,
    );
  });
}

/** Sets a job's stage in its row and document, as the unit that moved it would have left them. */
async function setStage(product: string, id: string, stage: string): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec("UPDATE jobs SET stage = ?1, doc = json_set(doc, '$.stage', ?1) WHERE id = ?2", stage, id);
  });
}

const addChildren = (product: string, parentId: string, children: Array<Record<string, unknown>>) =>
  api<{ code?: string; cycle?: string[] }>("POST", `${P(product)}/jobs/${parentId}/children`, {
    token: ADMIN,
    json: { children },
  });

describe("the cycle check against a product's history", () => {
  it("does not walk the shipped history a new child depends on (children, single submit, bulk)", async () => {
    const product = "cycle-history";
    const parent = await submit(product, { title: "parent" });
    await seedShippedChain(product, parent.id);
    const reads = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const children = { reads: 0 };
      assertAcyclic(
        countingSql(state.storage.sql, children),
        new Map([
          [parent.id, ["#0"]],
          ["#0", [old(HISTORY)]],
        ]),
        ["#0"],
      );
      const bulk = { reads: 0 };
      const tx: Tx = { sql: countingSql(state.storage.sql, bulk), productId: product, now: Date.now() };
      const verdicts = checkItemRefs(tx, [{ deps: [old(HISTORY)], depsMode: "all", parentId: parent.id }]);
      expect(verdicts).toEqual([null]);
      return { children: children.reads, bulk: bulk.reads };
    });
    // One read of the shipped dep; it was two per job of the chain (2,000), and more with every job shipped.
    expect(reads.children).toBeLessThanOrEqual(1);
    expect(reads.bulk).toBeLessThanOrEqual(5); // the dep's stage; the parent's row, cascade, children; the dep
    // Through the API, all three ways a child is made.
    expect((await addChildren(product, parent.id, [{ title: "c", deps: [old(HISTORY)] }])).status).toBe(201);
    const single = await submit(product, { title: "s", parentId: parent.id, deps: [old(HISTORY)] });
    expect(single.stage).toBe("queued");
  });

  it("accepts a cycle through a shipped job (nothing waits on it), refuses one through a failed job, named", async () => {
    const product = "cycle-through-ended";
    const parent = await submit(product, { title: "parent" });
    const other = await submit(product, { title: "other" });
    // `x` waits on the parent or `other`: once `other` shipped, `x` could run and ship with the parent still queued.
    const x = await submit(product, { title: "x", deps: [parent.id, other.id], depsMode: "any" });
    await setStage(product, x.id, "failed"); // an operator may requeue it: it would wait on the parent again
    const refused = await addChildren(product, parent.id, [{ title: "c", deps: [x.id] }]);
    expect(refused.status).toBe(400);
    expect(refused.body.cycle).toEqual(["#0", x.id, parent.id, "#0"]);

    await setStage(product, other.id, "shipped");
    await setStage(product, x.id, "shipped"); // shipped is final: it will never wait on the parent again
    expect((await addChildren(product, parent.id, [{ title: "c", deps: [x.id] }])).status).toBe(201);
  });
});
