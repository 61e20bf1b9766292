// Children nest at most MAX_NESTING_DEPTH levels below a top job, so every walk up a parent chain (a requeue's
// cancelled-ancestor guard, the cascade holds) is bounded: a child one level deeper is refused 400
// `validation_failed` — through POST …/children, a submit naming `parentId` and a bulk item alike — with nothing
// changed, while a child at the limit is made. With no limit a chain grew as deep as a product has jobs: a requeue
// at depth 20,000 read 20,001 rows.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_NESTING_DEPTH } from "../../src/core/composite.ts";
import { ADMIN, api, getJob, P, submit } from "./client.ts";

const level = (i: number) => `job_level_${String(i).padStart(3, "0")}`;

/** `MAX_NESTING_DEPTH` blocked composites under `rootId`, each the child of the one before: `level(i)` is i deep. */
async function seedChain(product: string, rootId: string): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, serial_key, rev, doc, cap_key, parent_id)
       SELECT printf('job_level_%03d', i), 'blocked', priority_value, queued_at, created_at + i, serial_key, rev,
              json_set(doc, '$.id', printf('job_level_%03d', i), '$.stage', 'blocked', '$.kind', 'composite',
                '$.parentId', CASE WHEN i = 1 THEN ?2 ELSE printf('job_level_%03d', i - 1) END), cap_key,
              CASE WHEN i = 1 THEN ?2 ELSE printf('job_level_%03d', i - 1) END
         FROM jobs, n WHERE jobs.id = ?2`,
      MAX_NESTING_DEPTH,
      rootId,
    );
  });
}

type Problem = { code: string; detail: string };
const childrenOf = async (product: string, id: string) =>
  (await api<{ root: { children: unknown[] } }>("GET", `${P(product)}/jobs/${id}/tree`, { token: ADMIN })).body.root
    .children;

describe("how deep children nest", () => {
  it("refuses a child past MAX_NESTING_DEPTH levels every way one is made, nothing changed; makes one at it", async () => {
    const product = "nesting-depth";
    const root = await submit(product, { title: "top" });
    await seedChain(product, root.id);
    const deepest = level(MAX_NESTING_DEPTH);

    const viaChildren = await api<Problem>("POST", `${P(product)}/jobs/${deepest}/children`, {
      token: ADMIN,
      json: { children: [{ title: "too deep" }] },
    });
    const viaSubmit = await api<Problem>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "too deep", parentId: deepest } },
    });
    const viaBulk = await api<{ accepted: number; rejected: Problem[] }>("POST", `${P(product)}/jobs:batch`, {
      token: ADMIN,
      json: { items: [{ manifest: { title: "too deep", parentId: deepest } }] },
    });
    for (const r of [viaChildren, viaSubmit]) {
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("validation_failed");
      expect(r.body.detail).toContain(`limit of ${MAX_NESTING_DEPTH} levels`);
    }
    expect(viaBulk.body.accepted).toBe(0);
    expect(viaBulk.body.rejected[0]).toMatchObject({ code: "validation_failed" });
    expect(await childrenOf(product, deepest)).toEqual([]);
    expect((await getJob(product, deepest)).stage).toBe("blocked");

    // One level up, the child lands exactly at the limit.
    const atLimit = await api<{ children: Array<{ parentId: string }> }>(
      "POST",
      `${P(product)}/jobs/${level(MAX_NESTING_DEPTH - 1)}/children`,
      { token: ADMIN, json: { children: [{ title: "at the limit" }] } },
    );
    expect(atLimit.status).toBe(201);
    const single = await submit(product, { title: "also at it", parentId: level(MAX_NESTING_DEPTH - 1) });
    expect(single.stage).toBe("queued");
  });
});
