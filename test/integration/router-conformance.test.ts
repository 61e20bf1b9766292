// The coordinator decides as the pure router (core/router) does: explain's numbers and the queue's order. Explain's
// terms are the numbers rankFactories computes, and the index-merge order of the queue is exactly orderJobs, over
// the whole queue and per capability bucket.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { capabilityKey } from "../../src/core/capability-key.ts";
import type { Factory, Job } from "../../src/core/model.ts";
import {
  DEFAULT_WEIGHTS,
  orderJobs,
  PRIORITY_VALUE,
  rankFactories,
  STARVATION_HORIZON_MS,
} from "../../src/core/router.ts";
import { dueJobIdsByUrgency } from "../../src/durable-objects/coordinator/dispatch/urgency-order.ts";
import { ADMIN, api, enroll, getJob, P, submit } from "./client";

// GET …/explain returns the router's decision term by term — the same numbers the pure router computes.

interface Explained {
  at: number;
  urgency: number;
  ranked: Array<{
    factoryId: string;
    score: number;
    terms: Record<string, { raw: number; weight: number; contribution: number }>;
  }>;
  rejected: Array<{ factoryId: string; reasons: string[] }>;
}

describe("explain", () => {
  it("breaks the decision down per term, identical to the pure router, and names every rejection reason", async () => {
    const product = "explain-terms";
    await enroll(product, "gpu-box", ["os:linux", "gpu", "cost:high", "has:docker"], 2);
    await enroll(product, "lean", ["os:linux", "gpu", "cost:low"], 1);
    await enroll(product, "mac", ["os:darwin"], 1);
    const job = await submit(product, {
      title: "train",
      requires: ["gpu"],
      prefers: ["has:docker"],
      budget: { usd: 3 },
    });
    // Factories that have never heartbeated are `down`; bring two of them up via heartbeat.
    const factories = await api<{ factories: Factory[] }>("GET", `${P(product)}/factories`, { token: ADMIN });
    expect(factories.body.factories.every((f) => f.health === "down")).toBe(true);

    const r = await api<Explained>("GET", `${P(product)}/jobs/${job.id}/explain`, { token: ADMIN });
    expect(r.status).toBe(200);
    const stored = (await getJob(product, job.id)) as unknown as Job;
    const expected = rankFactories(stored, factories.body.factories, { now: r.body.at });
    expect(r.body.ranked).toEqual(expected.ranked);
    expect(r.body.rejected).toEqual(expected.rejected);
    const reasons = Object.fromEntries(r.body.rejected.map((c) => [c.factoryId, c.reasons]));
    const mac = factories.body.factories.find((f) => f.name === "mac")!;
    expect(reasons[mac.id]).toEqual(expect.arrayContaining(["missing_capability:gpu", "factory_down"]));
  });

  it("scores live factories with every term and ranks the tighter, cheaper fit first", async () => {
    const product = "explain-live";
    const big = await enroll(product, "gpu-box", ["os:linux", "gpu", "cost:high", "has:docker"], 2);
    const lean = await enroll(product, "lean", ["os:linux", "gpu", "cost:low"], 1);
    for (const f of [big, lean]) await api("POST", `${P(product)}/factories/heartbeat`, { token: f.token, json: {} });
    const job = await submit(product, {
      title: "train",
      requires: ["gpu"],
      prefers: ["has:docker"],
      budget: { usd: 3 },
    });
    const r = await api<Explained>("GET", `${P(product)}/jobs/${job.id}/explain`, { token: ADMIN });
    expect(r.body.ranked.map((c) => c.factoryId)).toEqual([lean.factoryId, big.factoryId]);
    const [first, second] = r.body.ranked;
    expect(Object.keys(first!.terms).sort()).toEqual([
      "affinity",
      "capabilityFit",
      "costFit",
      "health",
      "load",
      "starvation",
      "track", // issue 11: neutral (no history), so it adds nothing
    ]);
    expect(first!.terms.track).toEqual({ raw: 0.5, weight: 1, contribution: 0 });
    expect(first!.terms.costFit).toEqual({ raw: 1, weight: 0.75, contribution: 0.75 });
    expect(second!.terms.costFit).toEqual({ raw: 0, weight: 0.75, contribution: 0 });
    expect(second!.terms.affinity).toEqual({ raw: 1, weight: 0.5, contribution: 0.5 });
    const sum = (c: NonNullable<typeof first>) => Object.values(c.terms).reduce((s, t) => s + t.contribution, 0);
    expect(first!.score).toBeCloseTo(sum(first!), 9);
    expect(second!.score).toBeCloseTo(sum(second!), 9);
  });
});

// The coordinator's index-merge ordering of queued jobs is exactly the pure router's orderJobs — over the whole
// queue, and over the jobs of the capability buckets a caller admits (the others never yielded).

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
