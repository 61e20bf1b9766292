/**
 * @module test/integration/dag-seed
 * Large DAGs for the bound tests, seeded in a statement or two instead of thousands of submits: a long chain of live
 * jobs (`CHAIN` blocked jobs, `link(1)` waiting on a parent and each next one on the one before, with their `job_deps`
 * rows as submit records them), and many stored children of one parent.
 */
import { env, runInDurableObject } from "cloudflare:test";

export const CHAIN = 3_000;
export const link = (i: number) => `job_chain_link_${String(i).padStart(5, "0")}`;

/** `CHAIN` blocked jobs, `link(1)` waiting on `parentId` and each next one on the one before, seeded in one statement. */
export async function seedBlockedChain(product: string, parentId: string): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, serial_key, rev, doc, cap_key)
       SELECT printf('job_chain_link_%05d', i), 'blocked', priority_value, queued_at, created_at + i, serial_key, rev,
              json_set(doc, '$.id', printf('job_chain_link_%05d', i), '$.stage', 'blocked', '$.deps',
                CASE WHEN i = 1 THEN json_array(?2) ELSE json_array(printf('job_chain_link_%05d', i - 1)) END), cap_key
         FROM jobs, n WHERE jobs.id = ?2`,
      CHAIN,
      parentId,
    );
    // Each link's dep row, as submit records it (dag/dependents `recordDeps`): what waits on a job is read there.
    state.storage.sql.exec(
      `INSERT INTO job_deps(job_id, dep_id) SELECT id, json_extract(doc, '$.deps[0]') FROM jobs
        WHERE id LIKE 'job_chain_link_%'`,
    );
  });
}

/** Gives `parentId` `count` stored children (copies of it, ids `<prefix>_0001`…), as a long-lived product has. */
export async function seedChildren(product: string, parentId: string, count: number, prefix: string): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, serial_key, rev, doc, cap_key, parent_id)
       SELECT printf('%s_%04d', ?3, i), stage, priority_value, queued_at, created_at + i, serial_key, rev,
              json_set(doc, '$.id', printf('%s_%04d', ?3, i), '$.parentId', ?2), cap_key, ?2
         FROM jobs, n WHERE jobs.id = ?2`,
      count,
      parentId,
      prefix,
    );
  });
}
