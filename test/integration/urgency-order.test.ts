// The coordinator's index-merge ordering of queued jobs is exactly the pure router's orderJobs.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Job } from "../../src/core/model.ts";
import { DEFAULT_WEIGHTS, orderJobs, STARVATION_HORIZON_MS } from "../../src/core/router.ts";
import { dueJobIdsByUrgency } from "../../src/durable-objects/coordinator/dispatch/urgency-order.ts";
import { submit } from "./client";

describe("urgency order", () => {
  it("matches orderJobs for every mix of priority and age, including aged low jobs overtaking fresh ones", async () => {
    const product = "urgency-conformance";
    const priorities = ["critical", "high", "medium", "low"] as const;
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await submit(product, { title: `j${i}`, priority: priorities[i % 4] })).id);
    const stub = env.COORDINATOR.getByName(product);
    const { fromSql, fromCore, jobs, now, shortSql, shortCore } = await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      const now = Date.now();
      // Spread ages from 0 to 45 minutes (past the 30-minute aging horizon), some ties.
      ids.forEach((id, i) => {
        const queuedAt = now - Math.floor((i * 7) % 23) * 2 * 60_000;
        sql.exec("UPDATE jobs SET queued_at = ?1, doc = json_set(doc, '$.queuedAt', ?1) WHERE id = ?2", queuedAt, id);
      });
      const tx = { sql, productId: product, now };
      const fromSql = [...dueJobIdsByUrgency(tx, DEFAULT_WEIGHTS.starvation)];
      // Any aging horizon (settings.agingHorizonMinutes) keeps the merge exact: here 10 minutes.
      const shortSql = [...dueJobIdsByUrgency(tx, DEFAULT_WEIGHTS.starvation, 1000, 10 * 60_000)];
      const jobs = sql
        .exec<{ doc: string }>("SELECT doc FROM jobs")
        .toArray()
        .map((r) => JSON.parse(r.doc) as Job);
      const shortCore = orderJobs(jobs, now, DEFAULT_WEIGHTS, 10 * 60_000).map((j) => j.id);
      return {
        fromSql,
        fromCore: orderJobs(jobs, now, DEFAULT_WEIGHTS).map((j) => j.id),
        jobs,
        now,
        shortSql,
        shortCore,
      };
    });
    expect(fromSql).toEqual(fromCore);
    expect(shortSql).toEqual(shortCore);
    expect(shortSql).not.toEqual(fromSql); // the horizon does reorder the queue
    // The case that matters: a low job aged past the horizon comes before a fresh medium job.
    const age = (j: Job) => now - j.queuedAt;
    const agedLow = jobs.find((j) => j.priority === "low" && age(j) >= STARVATION_HORIZON_MS)!;
    const freshMedium = jobs.find((j) => j.priority === "medium" && age(j) < 5 * 60_000)!;
    expect(agedLow && freshMedium).toBeTruthy();
    expect(fromSql.indexOf(agedLow.id)).toBeLessThan(fromSql.indexOf(freshMedium.id));
  });
});
