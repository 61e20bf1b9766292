// A keyed `…/children` request stores one idempotency key per child (`children:<parent>:<key>:<index>`), and the
// retention pass forgets keys older than 7 days, bounded per pass by a row LIMIT — which could fall between the
// children of one request. A replay more than 7 days later then met some of its keys and not others: a 409
// `conflict`, where the only right answers are a clean replay (keys all kept) or a clean new request (keys all
// expired). (Found by a concurrency reviewer.) Now a pass forgets whole instants, and one request's keys share one.
// The pass walks the hash rows by their age index, never a scan and sort of 7 days of keys.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HASH_ROWS, KEYS_PER_PASS } from "../../src/durable-objects/coordinator/jobs/key-prune.ts";
import { ADMIN, api, type JobView, P, submit } from "./client.ts";
import { queryPlan } from "./state.ts";

const DAY = 86_400_000;
const CHILDREN = [{ title: "c0" }, { title: "c1", deps: ["#0"] }];

type Made = { parent: JobView; children: JobView[]; code?: string };

const post = (product: string, parentId: string) =>
  api<Made>("POST", `${P(product)}/jobs/${parentId}/children`, {
    token: ADMIN,
    json: { children: CHILDREN },
    headers: { "idempotency-key": "split" },
  });

/**
 * `count` older keyed jobs (copies of `seedId`), each with its key's hash row, created one ms apart just before
 * `at`: a backlog that puts the pass's row bound on the keys created at `at`.
 */
async function olderKeys(product: string, seedId: string, count: number, at: number): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, serial_key, rev, doc, cap_key, idempotency_key)
       SELECT printf('job_old_%04d', i), stage, priority_value, queued_at, ?2 - i, serial_key, rev,
              json_set(doc, '$.id', printf('job_old_%04d', i)), cap_key, printf('old-%04d', i)
         FROM jobs, n WHERE jobs.id = ?3`,
      count,
      at,
      seedId,
    );
    state.storage.sql.exec(
      `INSERT INTO idempotency_keys(key, request_hash, job_id, created_at)
       SELECT idempotency_key, 'h', id, created_at FROM jobs WHERE id LIKE 'job_old_%'`,
    );
  });
}

describe("children keys expire whole", () => {
  it("a pass whose bound falls on one request's children keeps them all; the next forgets them all", async () => {
    const product = "children-key-expiry";
    const parent = await submit(product, { title: "parent" });
    const first = await post(product, parent.id);
    expect(first.status).toBe(201);
    const made = first.body.children.map((c) => c.id);
    const at = first.body.children[0]!.createdAt as number;
    expect(first.body.children.map((c) => c.createdAt)).toEqual([at, at]); // one unit, one instant
    // KEYS_PER_PASS − 1 older keys: the pass's row bound is child 0's, with child 1's just past it.
    await olderKeys(product, parent.id, KEYS_PER_PASS - 1, at);
    const coordinator = env.COORDINATOR.getByName(product);

    await coordinator.prune(product, at + 8 * DAY);
    const replay = await post(product, parent.id);
    expect(replay.status).toBe(200);
    expect(replay.body.children.map((c) => c.id)).toEqual(made);

    await coordinator.prune(product, at + 8 * DAY);
    const fresh = await post(product, parent.id); // the key expired: a new request, new children
    expect(fresh.status).toBe(201);
    expect(fresh.body.children.map((c) => c.id).filter((id) => made.includes(id))).toEqual([]);
  });

  it("one instant holding more keys than a pass goes whole, so the pass never stalls", async () => {
    const product = "children-key-instant";
    const parent = await submit(product, { title: "parent" });
    const at = parent.createdAt as number;
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO idempotency_keys(key, request_hash, job_id, created_at)
         SELECT printf('same-%05d', i), 'h', ?2, ?3 FROM n`,
        KEYS_PER_PASS + 5,
        parent.id,
        at - 1,
      );
    });
    await env.COORDINATOR.getByName(product).prune(product, at + 8 * DAY);
    const left = await runInDurableObject(
      env.COORDINATOR.getByName(product),
      (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM idempotency_keys").one().n,
    );
    expect(left).toBe(0);
  });

  it("walks the hash rows by their age index, never a scan and sort of every key", async () => {
    const product = "key-prune-plan";
    await submit(product, { title: "binds the coordinator" });
    const plans = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => [
      queryPlan(state.storage.sql, `SELECT created_at AS t ${HASH_ROWS} ORDER BY created_at LIMIT 1 OFFSET 1000`, 1),
      queryPlan(state.storage.sql, `DELETE ${HASH_ROWS}`, 1),
    ]);
    for (const p of plans)
      expect(p).toMatch(/SEARCH idempotency_keys USING (COVERING )?INDEX idempotency_keys_by_created/);
    for (const p of plans) expect(p).not.toMatch(/TEMP B-TREE/);
  });
});
