// A job waiting out a long retry backoff is not starving, and it must not hide one that is: with more than a page
// (PER_CHECK) of older jobs in backoff, the health pass still raises exactly one `starving` alert, naming the job
// that truly starves, and notes its threshold for the alarm before it is crossed (not the backoffs' far ends). The
// candidates are read along one index ordered by when each job became due, however many jobs are in backoff, and a
// coordinator stored before that index gains it on its next start and finds the same job. GET …/health reads the
// queue the same way: the longest wait is the starving job's (not the backoffs' older requeues), the backoffs are
// counted apart, and both are read along that index — its first entry and its range past now, no pass over the queue.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PER_CHECK } from "../../src/durable-objects/coordinator/policies/health-check.ts";
import { STARVING_CANDIDATES_SQL } from "../../src/durable-objects/coordinator/policies/health-starving.ts";
import { IN_BACKOFF_SQL, OLDEST_WAIT_SQL } from "../../src/durable-objects/coordinator/policies/health-summary.ts";
import { applySchema } from "../../src/durable-objects/coordinator/runtime/schema.ts";
import { withLimit } from "../../src/durable-objects/sql-statements.ts";
import { ADMIN, alertsOf, api, P, submit } from "./client.ts";
import { queryPlan } from "./state.ts";

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

const starving = async (product: string) => (await alertsOf(product, "open")).filter((a) => a.kind === "starving");

async function sweep(product: string) {
  const r = await env.COORDINATOR.getByName(product).sweep(product);
  if (!("health" in r)) throw new Error(`sweep failed: ${JSON.stringify(r)}`);
  return r.health;
}

/** Runs `query` in the product's coordinator (state surgery instead of sleeping). */
async function sql(product: string, query: string, ...bindings: unknown[]): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(query, ...bindings);
  });
}

/**
 * PER_CHECK + 1 jobs queued 5 h ago, in retry backoff for 6 more days, then `target` queued `agoMin` minutes ago:
 * by queue time, a page of PER_CHECK holds only jobs that may not run yet.
 */
async function behindBackoffs(
  product: string,
  agoMin: number,
): Promise<{ target: string; queuedAt: number; nextAt: number }> {
  const settings = { health: { starvingAfterMinutes: 60, expectedFinishIntervalMinutes: 7 * 24 * 60 } };
  expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
  const seed = await submit(product, { title: "in backoff" });
  const target = await submit(product, { title: "truly starving" });
  const now = Date.now();
  await sql(
    product,
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
     INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, serial_key, rev, doc, cap_key)
     SELECT printf('job_backoff_%05d', i), stage, priority_value, queued_at, created_at, serial_key, rev,
            json_set(doc, '$.id', printf('job_backoff_%05d', i)), cap_key
       FROM jobs, n WHERE jobs.id = ?2`,
    PER_CHECK,
    seed.id,
  );
  await sql(
    product,
    `UPDATE jobs SET queued_at = ?1, not_before = ?2, doc = json_set(doc, '$.queuedAt', ?1, '$.notBefore', ?2)
      WHERE id <> ?3`,
    now - 300 * MIN,
    now + 6 * DAY,
    target.id,
  );
  const queuedAt = now - agoMin * MIN;
  await sql(
    product,
    "UPDATE jobs SET queued_at = ?1, doc = json_set(doc, '$.queuedAt', ?1) WHERE id = ?2",
    queuedAt,
    target.id,
  );
  return { target: target.id, queuedAt, nextAt: queuedAt + 60 * MIN + 1 };
}

describe("starving behind more than a page of retry backoffs", () => {
  it("notes the job's threshold for the alarm, then raises exactly one alert naming it", async () => {
    const product = "starve-behind-backoff";
    const { target, nextAt } = await behindBackoffs(product, 59);
    const before = await sweep(product);
    expect(await starving(product)).toEqual([]);
    expect(before.nextAt).toBe(nextAt); // the alarm comes for it, not at the backoffs' ends 6 days on

    await sql(
      product,
      "UPDATE jobs SET queued_at = queued_at - ?1, doc = json_set(doc, '$.queuedAt', queued_at - ?1) WHERE id = ?2",
      2 * MIN,
      target,
    );
    await sweep(product);
    const open = await starving(product);
    expect(open.map((a) => a.subject)).toEqual([`job:${target}`]);
    expect(open[0]?.message).toMatch(/has waited 61 min/);
  });

  it("reads its candidates along the due index, without sorting the queue", async () => {
    const product = "starve-behind-backoff-plan";
    await behindBackoffs(product, 61);
    const plan = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      queryPlan(state.storage.sql, withLimit(STARVING_CANDIDATES_SQL, PER_CHECK)),
    );
    expect(plan).toMatch(/SCAN jobs USING INDEX jobs_queued_due/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });

  it("a coordinator stored before the due index gains it on its next start, and finds the same job", async () => {
    const product = "starve-behind-backoff-upgrade";
    const { target } = await behindBackoffs(product, 61);
    const indexes = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const db = state.storage.sql;
      db.exec("DROP INDEX jobs_queued_due"); // the table as an older coordinator stored it
      applySchema(db); // what the constructor runs on start
      applySchema(db); // idempotent
      return db.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE name = 'jobs_queued_due'").toArray();
    });
    expect(indexes).toHaveLength(1);
    await sweep(product);
    expect((await starving(product)).map((a) => a.subject)).toEqual([`job:${target}`]);
  });
});

describe("the product's health behind more than a page of retry backoffs", () => {
  it("names the waiting job's wait as the longest, and counts the backoffs apart", async () => {
    const product = "stall-behind-backoff";
    const { queuedAt } = await behindBackoffs(product, 59);
    const h = await api<{ queued: number; inBackoff: number; oldestQueuedAt: number | null }>(
      "GET",
      `${P(product)}/health`,
      { token: ADMIN },
    );
    expect(h.body).toMatchObject({ queued: PER_CHECK + 2, inBackoff: PER_CHECK + 1, oldestQueuedAt: queuedAt });
  });

  it("reads the longest wait and the backoffs along the due index, without sorting or scanning the queue", async () => {
    const product = "stall-behind-backoff-plan";
    await behindBackoffs(product, 61);
    const [oldest, backoffs] = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => [
      queryPlan(state.storage.sql, OLDEST_WAIT_SQL),
      queryPlan(state.storage.sql, IN_BACKOFF_SQL, Date.now()),
    ]);
    expect(oldest).toMatch(/SCAN jobs USING (COVERING )?INDEX jobs_queued_due/); // its first entry: LIMIT 1
    expect(oldest).not.toMatch(/TEMP B-TREE/);
    expect(backoffs).toMatch(/SEARCH jobs USING (COVERING )?INDEX jobs_queued_due \(<expr>>\?\)/); // a range, not the queue
  });
});
