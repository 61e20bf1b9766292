// GET …/explain returns the router's decision term by term — the same numbers the pure router computes.
import { describe, expect, it } from "vitest";
import type { Factory, Job } from "../../src/core/model.ts";
import { rankFactories } from "../../src/core/router.ts";
import { ADMIN, api, enroll, getJob, P, submit } from "./client";

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
