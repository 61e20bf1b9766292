/**
 * @module test/integration/chain-seed
 * A long chain of live jobs for the DAG bound tests: `CHAIN` blocked jobs, `link(1)` waiting on a parent and each next
 * one on the one before, seeded in two statements (the jobs, and their `job_deps` rows as submit records them).
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
