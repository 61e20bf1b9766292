// `POST …/jobs/{id}/children` under an Idempotency-Key makes its children once, even across the keys' expiry. A retry
// replays them, a different set under the same key is 409, and the retention pass forgets one request's keys all
// together or not at all.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HASH_ROWS, KEYS_PER_PASS } from "../../src/durable-objects/coordinator/jobs/key-prune.ts";
import { ADMIN, api, claim, enroll, type JobView, P, submit } from "./client.ts";
import { queryPlan } from "./state.ts";

// `POST …/jobs/{id}/children` with an Idempotency-Key (coordinator/dag/children-keys): a retry after a lost answer
// returns the children the first request made (200, idempotent-replayed), even once the parent has started, instead
// of a second set of paid runs; the same key with another set of children (one more, one fewer, one changed) is a
// 409 conflict that changes nothing; without a key every request makes new children, as before.

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

// A keyed `…/children` request stores one idempotency key per child (`children:<parent>:<key>:<index>`), and the
// retention pass forgets keys older than 7 days, bounded per pass by a row LIMIT — which could fall between the
// children of one request. A replay more than 7 days later then met some of its keys and not others: a 409
// `conflict`, where the only right answers are a clean replay (keys all kept) or a clean new request (keys all
// expired). (Found by a concurrency reviewer.) Now a pass forgets whole instants, and one request's keys share one.
// The pass walks the hash rows by their age index, never a scan and sort of 7 days of keys.

const DAY = 86_400_000;
const SPLIT_CHILDREN = [{ title: "c0" }, { title: "c1", deps: ["#0"] }];

const postSplit = (product: string, parentId: string) =>
  api<Made>("POST", `${P(product)}/jobs/${parentId}/children`, {
    token: ADMIN,
    json: { children: SPLIT_CHILDREN },
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
    const first = await postSplit(product, parent.id);
    expect(first.status).toBe(201);
    const made = first.body.children.map((c) => c.id);
    const at = first.body.children[0]!.createdAt as number;
    expect(first.body.children.map((c) => c.createdAt)).toEqual([at, at]); // one unit, one instant
    // KEYS_PER_PASS − 1 older keys: the pass's row bound is child 0's, with child 1's just past it.
    await olderKeys(product, parent.id, KEYS_PER_PASS - 1, at);
    const coordinator = env.COORDINATOR.getByName(product);

    await coordinator.prune(product, at + 8 * DAY);
    const replay = await postSplit(product, parent.id);
    expect(replay.status).toBe(200);
    expect(replay.body.children.map((c) => c.id)).toEqual(made);

    await coordinator.prune(product, at + 8 * DAY);
    const fresh = await postSplit(product, parent.id); // the key expired: a new request, new children
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
