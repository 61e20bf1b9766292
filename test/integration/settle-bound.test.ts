// A settled job's waiters are re-evaluated SETTLE_CHUNK steps a unit, the rest by the alarm at once
// (coordinator/dag/settle-walk), counted in jobs moved, not timed: a cancel that dooms a 1,200-job chain, or 1,200
// jobs hung on one dep, fails at most SETTLE_CHUNK of them in its own unit (it failed all 1,200 there) and the alarm
// fails the rest, each once, each naming its own dep — those not reached yet already say `dependency_failed`; the
// first unit of a composite's cancel moves at most CANCEL_CHUNK children plus SETTLE_CHUNK steps (a 2,000-child
// chain under it failed all the siblings behind its first child there too; 1,500 show it), and the alarm finishes both.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CANCEL_CHUNK } from "../../src/durable-objects/coordinator/dag/cancel-subtree.ts";
import { SETTLE_CHUNK } from "../../src/durable-objects/coordinator/dag/settle-walk.ts";
import { ADMIN, api, getJob, type JobView, P, submit } from "./client.ts";
import { alarmUntil, holdAlarm } from "./state.ts";

type Job = JobView & { lastResult?: { message?: string }; waitingReason?: { code: string } };
const MANY = 1_200;
const id = (prefix: string, i: number) => `job_${prefix}_${String(i).padStart(4, "0")}`;

const stats = async (product: string) =>
  (await api<{ counts: Record<string, number> }>("GET", `${P(product)}/stats`, { token: ADMIN })).body.counts;
const cancel = (product: string, jobId: string) =>
  api("POST", `${P(product)}/jobs/${jobId}/actions/cancel`, { token: ADMIN });

/**
 * `MANY` blocked copies of `templateId` (a job blocked on one dep), ids `job_<prefix>_0001`…, each waiting on
 * `depOf(i)` — in its document and in `job_deps`, as jobs/submit records them.
 */
async function seedDependents(product: string, templateId: string, prefix: string, chain: boolean, dep: string) {
  const depOf = chain ? `CASE WHEN i = 1 THEN ?3 ELSE printf('job_%s_%04d', ?4, i - 1) END` : "?3";
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    const n = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)";
    state.storage.sql.exec(
      `${n} INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, serial_key, rev, doc, cap_key)
       SELECT printf('job_%s_%04d', ?4, i), stage, priority_value, queued_at, created_at + i, serial_key, rev,
              json_set(doc, '$.id', printf('job_%s_%04d', ?4, i), '$.deps', json_array(${depOf})), cap_key
         FROM jobs, n WHERE jobs.id = ?2`,
      MANY,
      templateId,
      dep,
      prefix,
    );
    state.storage.sql.exec(
      `${n} INSERT INTO job_deps(job_id, dep_id) SELECT printf('job_%s_%04d', ?4, i), ${depOf} FROM n WHERE ?2 = ?2`,
      MANY,
      templateId,
      dep,
      prefix,
    );
  });
}

describe("the cascade of a settled job, bounded per unit", () => {
  it.each([
    ["a chain", true],
    ["a fan-out", false],
  ])("a cancel dooming %s of 1,200 fails at most SETTLE_CHUNK in its unit; the alarm fails the rest, named", async (_what, chain) => {
    const product = chain ? "settle-bound-chain" : "settle-bound-fan";
    const root = await submit(product, { title: "root" });
    const first = await submit(product, { title: "first", deps: [root.id] });
    await seedDependents(product, first.id, "w", chain, chain ? first.id : root.id);
    const release = await holdAlarm(product);
    expect((await cancel(product, root.id)).status).toBe(200);
    const now = await stats(product);
    expect(now.failed ?? 0).toBeGreaterThan(0);
    expect(now.failed).toBeLessThanOrEqual(SETTLE_CHUNK);
    expect(now.blocked).toBe(MANY + 1 - now.failed!);
    if (!chain) expect(((await getJob(product, id("w", MANY))) as Job).waitingReason?.code).toBe("dependency_failed");

    await release();
    const end = await alarmUntil(
      product,
      () => stats(product),
      (c) => c.failed === MANY + 1,
    );
    expect(end.blocked ?? 0).toBe(0);
    const last = (await getJob(product, id("w", MANY))) as Job;
    const dep = chain ? id("w", MANY - 1) : root.id;
    expect(last.lastResult?.message).toBe(`dependency_failed: ${dep} is ${chain ? "failed" : "cancelled"}`);
  });

  it("the first unit of a composite's cancel: CANCEL_CHUNK cancels and SETTLE_CHUNK steps at most", async () => {
    const product = "settle-bound-cancel";
    const parent = await submit(product, { title: "p" });
    let prev: string | undefined;
    // 1,500 children: more than CANCEL_CHUNK + SETTLE_CHUNK (1,000), all one unit could move (2,000 took 127 s on a
    // loaded CI box, past the timeout, and proved no more).
    for (let k = 0; k < 3; k++) {
      const children = Array.from({ length: 500 }, (_, i) => ({
        title: `c${k}-${i}`,
        deps: i > 0 ? [`#${i - 1}`] : prev ? [prev] : [],
      }));
      const r = await api<{ children: JobView[] }>("POST", `${P(product)}/jobs/${parent.id}/children`, {
        token: ADMIN,
        json: { children },
      });
      expect(r.status).toBe(201);
      prev = r.body.children.at(-1)!.id;
    }
    const release = await holdAlarm(product);
    expect((await cancel(product, parent.id)).status).toBe(200);
    const now = await stats(product);
    expect(now.cancelled).toBe(1 + CANCEL_CHUNK);
    expect(now.failed ?? 0).toBeLessThanOrEqual(SETTLE_CHUNK); // the chain's other 1,000 were failed here too

    await release();
    const end = await alarmUntil(
      product,
      () => stats(product),
      (c) => c.cancelled === 1_501,
    );
    expect([end.failed ?? 0, end.blocked ?? 0, end.queued ?? 0]).toEqual([0, 0, 0]);
  });
});
