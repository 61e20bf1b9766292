// The coordinator's index-merge ordering of queued jobs is exactly the pure router's orderJobs — over the whole
// queue, and over the jobs of the capability buckets a caller admits (the others never yielded).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { capabilityKey } from "../../src/core/capability-key.ts";
import type { Job } from "../../src/core/model.ts";
import { DEFAULT_WEIGHTS, orderJobs, PRIORITY_VALUE, STARVATION_HORIZON_MS } from "../../src/core/router.ts";
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

  it("matches orderJobs over the admitted buckets' jobs, whatever mix of buckets, priorities and ages", async () => {
    const product = "urgency-buckets";
    const priorities = ["critical", "high", "medium", "low"] as const;
    // Five buckets, one spelt two ways (order and repeats): ["a","b"] twice, ["a"], [], ["engine:codex"] twice.
    const needs = [
      { requires: ["a", "b"] },
      { requires: ["b", "a", "b"] },
      { requires: ["a"] },
      { requires: [] },
      { requires: [], engine: "codex" },
      { requires: ["engine:codex"] },
      { requires: ["gpu"] },
    ];
    const ids: string[] = [];
    for (let i = 0; i < 56; i++) {
      const manifest = { title: `j${i}`, priority: priorities[i % 4], ...needs[(i * 3) % needs.length] };
      ids.push((await submit(product, manifest)).id);
    }
    const stub = env.COORDINATOR.getByName(product);
    const held = new Set(["a", "b", "engine:codex"]); // a claimant that can run every bucket but gpu's
    const out = await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      const now = Date.now();
      ids.forEach((id, i) => {
        const queuedAt = now - Math.floor((i * 11) % 29) * 2 * 60_000; // 0–56 minutes, past the horizon, ties
        sql.exec("UPDATE jobs SET queued_at = ?1, doc = json_set(doc, '$.queuedAt', ?1) WHERE id = ?2", queuedAt, id);
      });
      const tx = { sql, productId: product, now };
      const w = DEFAULT_WEIGHTS.starvation;
      const admit = (b: { capabilities: string[] }) => b.capabilities.every((c) => held.has(c));
      const jobs = sql
        .exec<{ doc: string }>("SELECT doc FROM jobs")
        .toArray()
        .map((r) => JSON.parse(r.doc) as Job);
      const runnable = jobs.filter((j) => admit({ capabilities: JSON.parse(capabilityKey(j)) as string[] }));
      return {
        all: [...dueJobIdsByUrgency(tx, w)],
        allCore: orderJobs(jobs, now, DEFAULT_WEIGHTS).map((j) => j.id),
        some: [...dueJobIdsByUrgency(tx, w, 1000, STARVATION_HORIZON_MS, { admit })],
        someCore: orderJobs(runnable, now, DEFAULT_WEIGHTS).map((j) => j.id),
        // Only high and low classes, admitted buckets only: the same order restricted to those classes.
        classes: [
          ...dueJobIdsByUrgency(tx, w, 1000, STARVATION_HORIZON_MS, {
            admit,
            priorities: [PRIORITY_VALUE.high, PRIORITY_VALUE.low],
          }),
        ],
        classesCore: orderJobs(
          runnable.filter((j) => j.priority === "high" || j.priority === "low"),
          now,
          DEFAULT_WEIGHTS,
        ).map((j) => j.id),
        buckets: new Set(jobs.map(capabilityKey)).size,
        gpu: jobs.filter((j) => j.requires.includes("gpu")).length,
        limited: [...dueJobIdsByUrgency(tx, w, 7, STARVATION_HORIZON_MS, { admit })],
      };
    });
    expect(out.buckets).toBe(5);
    expect(out.all).toEqual(out.allCore);
    expect(out.some).toEqual(out.someCore);
    expect(out.some.length).toBe(56 - out.gpu);
    expect(out.gpu).toBeGreaterThan(0);
    expect(out.classes).toEqual(out.classesCore);
    expect(out.limited).toEqual(out.someCore.slice(0, 7)); // the bound counts only what is yielded
  });
});
